use super::value_set::value_set;

value_set! {
    /// A social media platform an OSINT profile has an account on.
    pub enum SocialPlatform as "social_platform" {
        /// X, formerly Twitter.
        Twitter = "twitter",
        /// LinkedIn.
        Linkedin = "linkedin",
        /// Facebook.
        Facebook = "facebook",
        /// Instagram.
        Instagram = "instagram",
        /// GitHub.
        Github = "github",
        /// Reddit.
        Reddit = "reddit",
        /// TikTok.
        Tiktok = "tiktok",
        /// YouTube.
        Youtube = "youtube",
        /// Any Mastodon instance.
        Mastodon = "mastodon",
        /// Telegram.
        Telegram = "telegram",
        /// Anything else.
        Other = "other",
    }
}
