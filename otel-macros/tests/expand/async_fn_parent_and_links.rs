#[traced(parent = &job.requested_in, links = [&job.previous_attempt])]
async fn retry(job: Job) -> Result<(), JobError> {
    job.run().await
}
