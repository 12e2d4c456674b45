trait Repository {
    fn fetch(&self, id: u64) -> Option<String>;

    #[traced(skip(self))]
    fn fetch_or_default(&self, id: u64) -> String {
        self.fetch(id).unwrap_or_default()
    }
}
