#[traced(kind = "consumer", links = batch.iter().map(|message| &message.sent_from))]
fn consume(batch: &[Message]) {
    store(batch);
}
