use super::value_set::value_set;

value_set! {
    /// What kind of honeytoken a BAIT token is.
    pub enum BaitTokenType as "bait_token_type" {
        /// A URL that should never be visited.
        Url = "url",
        /// A DNS name that should never be resolved.
        Dns = "dns",
        /// An e-mail address that should never receive mail.
        Email = "email",
        /// A fake cloud access key.
        AwsKey = "aws_key",
        /// A document that calls home when opened.
        Document = "document",
        /// A fake API key.
        ApiKey = "api_key",
        /// A fake user name and password.
        Credential = "credential",
        /// Anything else.
        Other = "other",
    }
}

value_set! {
    /// Where an uploaded file is in its processing.
    pub enum UploadStatus as "upload_status" {
        /// Received, not parsed yet.
        Pending = "pending",
        /// Parsed; its credentials are recorded.
        Parsed = "parsed",
        /// Parsing failed; the reason is recorded.
        Failed = "failed",
    }
}
