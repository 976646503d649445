//! OSINT: profiles of people a company watches, their social media accounts, the breaches they
//! appear in, and discovered devices.

use crate::error::Result;
use crate::model::{
    Breach, Deleted, Device, NewBreach, NewDevice, NewProfile, NewSocialAccount, Page, Profile,
    ProfileSearch, ProfileUpdate, SocialAccount,
};

/// OSINT data per company. Everything is company-owned: a row of another company is
/// [`Error::NotFound`](crate::Error::NotFound). Reads see live rows unless a [`Deleted`]
/// argument says otherwise; a soft-deleted profile's accounts and breaches are kept and hidden
/// with it. Lists are keyset pages in ascending id order. Every method is atomic.
/// While the company is soft-deleted, all of it is out of reach ([`Error::NotFound`](crate::Error::NotFound)
/// on `companies`) until it is restored. An owner or author named (`user_id`) must be a live
/// user of the company.
pub trait OsintStore {
    /// Creates a profile for the live company. Errors: [`Error::Validation`](crate::Error::Validation)
    /// on `profiles.*` (name 1-255, e-mail and domain validated and lower-cased, risk 0-100);
    /// [`Error::NotFound`](crate::Error::NotFound) for the company or the user.
    fn create_profile(&self, company_id: i64, new: &NewProfile) -> Result<Profile>;

    /// The live profile `id`.
    ///
    /// *Primary read* ([where reads go](crate::store#where-reads-go)).
    fn get_profile(&self, company_id: i64, id: i64) -> Result<Profile>;

    /// Applies `changes` to the live profile and sets `updated_at`; returns the new row.
    fn update_profile(&self, company_id: i64, id: i64, changes: &ProfileUpdate) -> Result<Profile>;

    /// Soft-deletes the live profile.
    fn delete_profile(&self, company_id: i64, id: i64) -> Result<()>;

    /// Makes the profile live again and returns it (a live profile is returned as it is).
    fn restore_profile(&self, company_id: i64, id: i64) -> Result<Profile>;

    /// The company's profiles matching `search` (see [`ProfileSearch`]), one page, ascending
    /// by id.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn search_profiles(
        &self,
        company_id: i64,
        search: &ProfileSearch,
        page: Page,
        deleted: Deleted,
    ) -> Result<Vec<Profile>>;

    /// Records a social media account of the live profile. [`Error::Conflict`](crate::Error::Conflict)
    /// on `social_media.handle` when the profile has a live account with that platform and
    /// handle.
    fn add_social_account(
        &self,
        company_id: i64,
        profile_id: i64,
        new: &NewSocialAccount,
    ) -> Result<SocialAccount>;

    /// The live profile's live accounts, one page, ascending by id.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn list_social_accounts(
        &self,
        company_id: i64,
        profile_id: i64,
        page: Page,
    ) -> Result<Vec<SocialAccount>>;

    /// Records that the live profile appears in a breach. Idempotent on the breach's name: when
    /// the profile already has a live breach of that name, that breach is returned unchanged
    /// with `false`; otherwise the new one with `true`. `data_classes` must be a JSON array.
    fn record_breach(
        &self,
        company_id: i64,
        profile_id: i64,
        new: &NewBreach,
    ) -> Result<(Breach, bool)>;

    /// The live profile's live breaches, one page, ascending by id.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn list_breaches(&self, company_id: i64, profile_id: i64, page: Page) -> Result<Vec<Breach>>;

    /// Records a device seen at `new.ip_address`: creates it (first and last seen now) or,
    /// when the company has a live device at that address, updates it — host name, type,
    /// operating system, open ports and profile replaced, `last_seen_at` now, `first_seen_at`
    /// kept. Returns the device and whether it was created. `open_ports` must be a JSON array.
    fn upsert_device(&self, company_id: i64, new: &NewDevice) -> Result<(Device, bool)>;

    /// The company's devices, one page, ascending by id.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn list_devices(&self, company_id: i64, page: Page, deleted: Deleted) -> Result<Vec<Device>>;
}
