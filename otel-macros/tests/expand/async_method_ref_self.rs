impl Client {
    #[traced(kind = "client")]
    async fn send(&self, body: Vec<u8>) -> Result<u16, SendError> {
        let status = self.post(body).await?;
        Ok(status)
    }
}
