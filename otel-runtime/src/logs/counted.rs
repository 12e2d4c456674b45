//! Log records counted and bounded as spans are (`engine::loss`): the
//! SDK's batch log processor drops records from a full queue and keeps
//! that count private, so a record is admitted here first, into a queue
//! of `OTEL_BLRP_MAX_QUEUE_SIZE` places that an export frees.

use std::sync::Arc;
use std::time::Duration;

use opentelemetry::InstrumentationScope;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::{LogBatch, LogExporter, LogProcessor, SdkLogRecord};

use crate::engine::{self, LOG_RECORDS, Queue};

/// A log processor (the SDK's batch processor) whose input is counted
/// and bounded by `queue`.
#[derive(Debug)]
pub(crate) struct CountedLogs<P> {
    pub inner: P,
    pub queue: Arc<Queue>,
}

impl<P: LogProcessor> LogProcessor for CountedLogs<P> {
    fn emit(&self, record: &mut SdkLogRecord, scope: &InstrumentationScope) {
        if LOG_RECORDS.admit(&self.queue) {
            self.inner.emit(record, scope);
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// A log exporter whose outcomes are counted, whose finished batches free
/// their places in the queue, and whose panics become failed exports.
#[derive(Debug)]
pub(crate) struct CountedLogExporter<E> {
    pub inner: E,
    pub queue: Arc<Queue>,
}

impl<E: LogExporter> LogExporter for CountedLogExporter<E> {
    async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        let records = batch.iter().count();
        let result = engine::unpanicked(self.inner.export(batch)).await;
        LOG_RECORDS.exported(&self.queue, records, &result);
        result
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}
