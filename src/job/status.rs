//! The job's status as Elastic Transcoder reported it (its `Job` read
//! response in camelCase): `Submitted -> Progressing -> Complete |
//! Canceled | Error` for the job, each output and each playlist, with
//! timing, the input's detected properties, warnings and per-output
//! progress. Transition methods refuse changes out of order
//! ([`StatusError`]); the job's own status follows its outputs' as in ET.
//! Times are epoch milliseconds the caller gives (nothing here reads a
//! clock).

use std::collections::BTreeMap;

use serde::Serialize;

use super::error::StatusError;
use super::model::{names, Job, JobInput, JobOutput, JobPlaylist};

names! {
    /// Where a job, an output or a playlist is.
    pub enum JobStatus {
        /// Accepted, not started.
        Submitted = "Submitted",
        /// Being transcoded.
        Progressing = "Progressing",
        /// Done, every file written.
        Complete = "Complete",
        /// Stopped by the caller.
        Canceled = "Canceled",
        /// Failed; `statusDetail` says why.
        Error = "Error",
    }
}

impl JobStatus {
    /// Complete, Canceled and Error: nothing changes afterwards.
    pub fn is_terminal(self) -> bool {
        matches!(self, JobStatus::Complete | JobStatus::Canceled | JobStatus::Error)
    }
}

/// When the job was submitted, started and finished, in epoch ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Timing {
    /// When the job was accepted.
    pub submit_time_millis: u64,
    /// When its first output started; `None` before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time_millis: Option<u64>,
    /// When it reached a terminal status; `None` before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finish_time_millis: Option<u64>,
}

/// What a file turned out to be: the input (`detectedProperties`) or a
/// finished output (flattened into its entry). Each field `None` until
/// known.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DetectedProperties {
    /// Picture width in pixels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Picture height in pixels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Frames per second as decimal text, as ET wrote it (`"29.97"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame_rate: Option<String>,
    /// Size in bytes (of every file, for an output).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_size: Option<u64>,
    /// Duration in ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_millis: Option<u64>,
}

/// Something the job did that the caller should know, though it did not
/// fail (a damaged input decoded in part, a clip longer than the input).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobWarning {
    /// A stable kebab-case code (`damaged-input`, `clip-past-end`).
    pub code: String,
    /// What happened, for people.
    pub message: String,
}

/// How far an output has come.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputProgress {
    /// Done, from 0 to 1 (0 when the input's duration is unknown).
    pub fraction: f64,
    /// Media time written, in ms of the output.
    pub media_millis_done: u64,
    /// Bytes written so far.
    pub bytes_out: u64,
}

/// The input as submitted, with what was detected.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InputReport {
    /// The job's input.
    #[serde(flatten)]
    pub spec: JobInput,
    /// `None` until the input was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detected_properties: Option<DetectedProperties>,
}

/// One output as submitted, with its status.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputReport {
    /// `"1"`, `"2"`, ...: the output's position in the job, as ET numbered
    /// them.
    pub id: String,
    /// The job's output.
    #[serde(flatten)]
    pub spec: JobOutput,
    /// Where it is.
    pub status: JobStatus,
    /// Why, when it failed or was canceled; empty otherwise.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub status_detail: String,
    /// How far it has come.
    pub progress: OutputProgress,
    /// What it turned out to be, once complete.
    #[serde(flatten)]
    pub properties: DetectedProperties,
}

/// One playlist as submitted, with its status (that of its outputs).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlaylistReport {
    /// The job's playlist.
    #[serde(flatten)]
    pub spec: JobPlaylist,
    /// Complete when all its outputs are, Error when one failed.
    pub status: JobStatus,
    /// Why, when it failed; empty otherwise.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub status_detail: String,
}

/// A job's status: ET's `Job` read response in camelCase. Build one with
/// [`JobReport::submitted`], then move it with the transition methods.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobReport {
    /// The job's id, chosen by the caller (ET's looked like
    /// `1351620000001-abc123`).
    pub id: String,
    /// The job's status (see [`JobReport`]'s methods for how it moves).
    pub status: JobStatus,
    /// Why it failed or was canceled; empty otherwise.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub status_detail: String,
    /// The input.
    pub input: InputReport,
    /// The outputs, in the job's order.
    pub outputs: Vec<OutputReport>,
    /// The playlists, in the job's order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub playlists: Vec<PlaylistReport>,
    /// As in the job.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub output_key_prefix: String,
    /// As in the job.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub user_metadata: BTreeMap<String, String>,
    /// When it was submitted, started, finished.
    pub timing: Timing,
    /// Warnings, in the order they arose.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<JobWarning>,
}

impl JobReport {
    /// A job just accepted: it and every output and playlist `Submitted`.
    pub fn submitted(id: impl Into<String>, job: &Job, submit_time_millis: u64) -> JobReport {
        JobReport {
            id: id.into(),
            status: JobStatus::Submitted,
            status_detail: String::new(),
            input: InputReport { spec: job.input.clone(), detected_properties: None },
            outputs: job
                .outputs
                .iter()
                .enumerate()
                .map(|(i, o)| OutputReport {
                    id: (i + 1).to_string(),
                    spec: o.clone(),
                    status: JobStatus::Submitted,
                    status_detail: String::new(),
                    progress: OutputProgress::default(),
                    properties: DetectedProperties::default(),
                })
                .collect(),
            playlists: job
                .playlists
                .iter()
                .map(|p| PlaylistReport { spec: p.clone(), status: JobStatus::Submitted, status_detail: String::new() })
                .collect(),
            output_key_prefix: job.output_key_prefix.clone(),
            user_metadata: job.user_metadata.clone(),
            timing: Timing { submit_time_millis, start_time_millis: None, finish_time_millis: None },
            warnings: Vec::new(),
        }
    }

    /// The report as pretty-printed camelCase JSON.
    pub fn to_json(&self) -> String {
        // Cannot fail: string map keys, finite numbers only by construction
        // of the progress fraction (non-finite become null).
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    fn output_mut(&mut self, index: usize) -> Result<&mut OutputReport, StatusError> {
        let count = self.outputs.len();
        self.outputs.get_mut(index).ok_or(StatusError::NoSuchOutput { index, count })
    }

    fn refuse(what: String, from: JobStatus, to: JobStatus) -> StatusError {
        StatusError::Transition { what, from, to }
    }

    /// Output `index` starts: `Submitted -> Progressing`. The job becomes
    /// `Progressing` with its first output (its start time is `now`).
    pub fn start_output(&mut self, index: usize, now_millis: u64) -> Result<(), StatusError> {
        if self.status.is_terminal() {
            return Err(Self::refuse("job".into(), self.status, JobStatus::Progressing));
        }
        let output = self.output_mut(index)?;
        if output.status != JobStatus::Submitted {
            return Err(Self::refuse(format!("outputs[{index}]"), output.status, JobStatus::Progressing));
        }
        output.status = JobStatus::Progressing;
        if self.status == JobStatus::Submitted {
            self.status = JobStatus::Progressing;
            self.timing.start_time_millis = Some(now_millis);
        }
        self.settle_playlists();
        Ok(())
    }

    /// Progress of a `Progressing` output. The fraction is clamped to 0..=1
    /// (not a number: 0).
    pub fn progress(&mut self, index: usize, progress: OutputProgress) -> Result<(), StatusError> {
        let output = self.output_mut(index)?;
        if output.status != JobStatus::Progressing {
            return Err(Self::refuse(format!("outputs[{index}]"), output.status, JobStatus::Progressing));
        }
        let fraction = if progress.fraction.is_nan() { 0.0 } else { progress.fraction.clamp(0.0, 1.0) };
        output.progress = OutputProgress { fraction, ..progress };
        Ok(())
    }

    /// Output `index` is done: `Progressing -> Complete`, with what it
    /// turned out to be. When it was the last output running, the job
    /// finishes (Complete when every output is, else Error).
    pub fn complete_output(
        &mut self,
        index: usize,
        properties: DetectedProperties,
        now_millis: u64,
    ) -> Result<(), StatusError> {
        let output = self.output_mut(index)?;
        if output.status != JobStatus::Progressing {
            return Err(Self::refuse(format!("outputs[{index}]"), output.status, JobStatus::Complete));
        }
        output.status = JobStatus::Complete;
        output.progress.fraction = 1.0;
        output.properties = properties;
        self.settle(now_millis);
        Ok(())
    }

    /// Output `index` failed (from `Submitted` or `Progressing`); the
    /// others go on. When it was the last output running, the job finishes
    /// with `Error`.
    pub fn fail_output(&mut self, index: usize, detail: impl Into<String>, now_millis: u64) -> Result<(), StatusError> {
        let output = self.output_mut(index)?;
        if output.status.is_terminal() {
            return Err(Self::refuse(format!("outputs[{index}]"), output.status, JobStatus::Error));
        }
        output.status = JobStatus::Error;
        output.status_detail = detail.into();
        self.settle(now_millis);
        Ok(())
    }

    /// The whole job failed (the input could not be read): every output
    /// not yet finished fails with `detail`, and so does the job.
    pub fn fail(&mut self, detail: impl Into<String>, now_millis: u64) -> Result<(), StatusError> {
        if self.status.is_terminal() {
            return Err(Self::refuse("job".into(), self.status, JobStatus::Error));
        }
        let detail = detail.into();
        for output in self.outputs.iter_mut().filter(|o| !o.status.is_terminal()) {
            output.status = JobStatus::Error;
            output.status_detail = detail.clone();
        }
        self.status_detail = detail;
        self.settle(now_millis);
        Ok(())
    }

    /// The caller cancels (from `Submitted` or `Progressing`; ET allowed
    /// it only while `Submitted`, framecast can stop a running job):
    /// the job and every output and playlist not yet finished become
    /// `Canceled`.
    pub fn cancel(&mut self, detail: impl Into<String>, now_millis: u64) -> Result<(), StatusError> {
        if self.status.is_terminal() {
            return Err(Self::refuse("job".into(), self.status, JobStatus::Canceled));
        }
        let detail = detail.into();
        for output in self.outputs.iter_mut().filter(|o| !o.status.is_terminal()) {
            output.status = JobStatus::Canceled;
            output.status_detail = detail.clone();
        }
        for playlist in self.playlists.iter_mut().filter(|p| !p.status.is_terminal()) {
            playlist.status = JobStatus::Canceled;
        }
        self.status = JobStatus::Canceled;
        self.status_detail = detail;
        self.timing.finish_time_millis = Some(now_millis);
        Ok(())
    }

    /// Records what the input turned out to be (any time before the end).
    pub fn set_detected_properties(&mut self, properties: DetectedProperties) {
        self.input.detected_properties = Some(properties);
    }

    /// Adds a warning.
    pub fn warn(&mut self, code: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(JobWarning { code: code.into(), message: message.into() });
    }

    /// ET's rule: once every output is terminal, the job is `Complete` if
    /// every output is, else `Error`; playlists follow their outputs.
    fn settle(&mut self, now_millis: u64) {
        self.settle_playlists();
        if self.status.is_terminal() || !self.outputs.iter().all(|o| o.status.is_terminal()) {
            return;
        }
        let failed: Vec<String> = self
            .outputs
            .iter()
            .filter(|o| o.status != JobStatus::Complete)
            .map(|o| format!("output {} ({}): {}", o.id, o.spec.key, o.status_detail))
            .collect();
        if failed.is_empty() {
            self.status = JobStatus::Complete;
        } else {
            self.status = JobStatus::Error;
            if self.status_detail.is_empty() {
                self.status_detail = failed.join("; ");
            }
        }
        self.timing.start_time_millis.get_or_insert(now_millis);
        self.timing.finish_time_millis = Some(now_millis);
    }

    fn settle_playlists(&mut self) {
        let outputs = &self.outputs;
        for playlist in &mut self.playlists {
            let members: Vec<&OutputReport> =
                playlist.spec.output_keys.iter().filter_map(|k| outputs.iter().find(|o| &o.spec.key == k)).collect();
            let any = |s: JobStatus| members.iter().any(|o| o.status == s);
            let (status, detail) = if let Some(failed) = members.iter().find(|o| o.status == JobStatus::Error) {
                (JobStatus::Error, format!("output {} ({}) failed", failed.id, failed.spec.key))
            } else if !members.is_empty() && members.iter().all(|o| o.status == JobStatus::Complete) {
                (JobStatus::Complete, String::new())
            } else if any(JobStatus::Canceled) {
                (JobStatus::Canceled, String::new())
            } else if any(JobStatus::Progressing) || any(JobStatus::Complete) {
                (JobStatus::Progressing, String::new())
            } else {
                (JobStatus::Submitted, String::new())
            };
            playlist.status = status;
            playlist.status_detail = detail;
        }
    }
}
