use super::value_set::value_set;

value_set! {
    /// What a Ghost Search query looks for.
    pub enum GhostQueryType as "ghost_query_type" {
        /// An e-mail address.
        Email = "email",
        /// A user name.
        Username = "username",
        /// A domain name.
        Domain = "domain",
        /// A phone number.
        Phone = "phone",
        /// An IP address.
        Ip = "ip",
        /// A person's name.
        Name = "name",
        /// A password hash.
        PasswordHash = "password_hash",
    }
}

value_set! {
    /// Whom a monitored e-mail address is watched for.
    pub enum MonitorScope as "monitor_scope" {
        /// The whole company (the row has a company).
        Company = "company",
        /// One user (the row has a user).
        User = "user",
    }
}
