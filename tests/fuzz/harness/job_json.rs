//! The `job_json` fuzz harness: arbitrary bytes as job JSON through
//! `framecast::job`, with the invariants reading promises. Written against
//! framecast's public API; the fuzz target and the job module's unit tests
//! (which replay the corpus) include this file.

use framecast::job::{DetectedProperties, Job, JobReport};

/// Reads `data` as a job (without and with a custom preset). An accepted
/// job must validate, survive a JSON round trip, resolve, and take a
/// status report through to `Complete`; a refused one names at least one
/// problem. Panics only if one of these is broken (a bug in the model).
pub fn fuzz_entry(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let job = match Job::from_json(text, &[]) {
        Ok(job) => job,
        Err(errors) => {
            assert!(!errors.is_empty());
            for e in errors.iter() {
                assert!(e.to_string().contains(" must be "), "{e}");
            }
            return;
        }
    };
    assert_eq!(job.validate(&[]), Ok(()), "from_json accepted a job that validate refuses");
    let again = Job::from_json(&job.to_json(), &[]).expect("an accepted job round-trips");
    assert_eq!(again, job);
    let resolved = job.resolve(&[], |b: &mut [u8]| b.fill(0x5a)).expect("a valid job resolves");
    assert_eq!(resolved.outputs.len(), job.outputs.len());

    let mut report = JobReport::submitted("fuzz", &job, 0);
    for i in 0..job.outputs.len() {
        report.start_output(i, 1).expect("a submitted output starts");
        report.complete_output(i, DetectedProperties::default(), 2).expect("a running output completes");
    }
    assert_eq!(report.status, framecast::job::JobStatus::Complete);
    assert!(!report.to_json().is_empty());
}
