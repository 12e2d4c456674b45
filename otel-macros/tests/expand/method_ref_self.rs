impl Store {
    #[traced]
    fn get(&self, key: &str) -> Option<&String> {
        self.map.get(key)
    }
}
