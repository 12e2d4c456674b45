impl Service for Handler {
    #[traced]
    fn call<'a>(
        &'a self,
        request: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<usize, Error>> + Send + 'a>> {
        Box::pin(async move { Ok(request.len()) })
    }
}
