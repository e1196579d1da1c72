// The one list of every metric sluice exports (STYLE.md section 3): name,
// type and help text. Registration takes a MetricDef from here, so tests and
// the README can enumerate all names. Prometheus naming: `sluice_` prefix,
// counters end in `_total`, base units (seconds, bytes).
#pragma once

#include <array>

namespace sluice::obs {

enum class MetricType { kCounter, kGauge, kHistogram };

struct MetricDef {
  const char* name;
  MetricType type;
  const char* help;
  const char* labels;  // label names besides `pipeline`, for docs ("" if none)
};

namespace metric {
inline constexpr MetricDef kEventsRead{"sluice_events_read_total", MetricType::kCounter,
                                       "Events read from the source.", ""};
inline constexpr MetricDef kEventsAccepted{"sluice_events_accepted_total", MetricType::kCounter,
                                           "Events that passed parsing and validation.", ""};
inline constexpr MetricDef kEventsRejected{"sluice_events_rejected_total", MetricType::kCounter,
                                           "Events rejected, by the rule that failed.", "rule"};
inline constexpr MetricDef kDlqRecords{"sluice_dlq_records_total", MetricType::kCounter,
                                       "Records written to the dead-letter queue.", ""};
inline constexpr MetricDef kRowsWritten{"sluice_rows_written_total", MetricType::kCounter,
                                        "Rows committed to the lake.", "table"};
inline constexpr MetricDef kLakeFiles{"sluice_lake_files_written_total", MetricType::kCounter,
                                      "Parquet files committed to the lake.", "table"};
inline constexpr MetricDef kLakeBytes{"sluice_lake_bytes_written_total", MetricType::kCounter,
                                      "Bytes of Parquet files committed to the lake.", "table"};
inline constexpr MetricDef kLakeCommits{"sluice_lake_commits_total", MetricType::kCounter,
                                        "Lake commits.", "table"};
inline constexpr MetricDef kLakeCommitFailures{"sluice_lake_commit_failures_total",
                                               MetricType::kCounter, "Lake commits that failed.",
                                               "table"};
inline constexpr MetricDef kLakeCommitDuration{
    "sluice_lake_commit_duration_seconds", MetricType::kHistogram,
    "Time a lake commit takes (flush, DLQ sync, commit log).", ""};
inline constexpr MetricDef kKafkaLag{"sluice_kafka_consumer_lag", MetricType::kGauge,
                                     "Messages behind the high watermark, per assigned partition.",
                                     "topic, partition"};
inline constexpr MetricDef kWatermarkDelay{
    "sluice_watermark_delay_seconds", MetricType::kGauge,
    "Wall clock minus the event-time watermark (0 without a watermark).", ""};
inline constexpr MetricDef kDuplicates{"sluice_dedupe_duplicates_total", MetricType::kCounter,
                                       "Rows dropped by dedupe.", ""};
inline constexpr MetricDef kLateRows{"sluice_window_late_rows_total", MetricType::kCounter,
                                     "Rows behind closed windows.", ""};
inline constexpr MetricDef kJobRuns{"sluice_batch_job_runs_total", MetricType::kCounter,
                                    "Orchestrated batch job runs, by final status.", "job, status"};
inline constexpr MetricDef kJobDuration{"sluice_batch_job_duration_seconds", MetricType::kHistogram,
                                        "Duration of orchestrated batch job runs (all attempts).",
                                        ""};
inline constexpr MetricDef kLastSuccess{"sluice_orchestrator_last_success_timestamp_seconds",
                                        MetricType::kGauge,
                                        "Unix time of the last succeeded run of a job.", "job"};
inline constexpr MetricDef kUp{"sluice_ready", MetricType::kGauge,
                               "1 when /health/ready reports ready, else 0.", ""};
inline constexpr MetricDef kCpu{"process_cpu_seconds_total", MetricType::kCounter,
                                "User and system CPU time of the process.", ""};
inline constexpr MetricDef kRss{"process_resident_memory_bytes", MetricType::kGauge,
                                "Resident memory of the process.", ""};
inline constexpr MetricDef kStartTime{"process_start_time_seconds", MetricType::kGauge,
                                      "Unix time the process started.", ""};
}  // namespace metric

inline constexpr std::array kAllMetrics = {
    metric::kEventsRead,
    metric::kEventsAccepted,
    metric::kEventsRejected,
    metric::kDlqRecords,
    metric::kRowsWritten,
    metric::kLakeFiles,
    metric::kLakeBytes,
    metric::kLakeCommits,
    metric::kLakeCommitFailures,
    metric::kLakeCommitDuration,
    metric::kKafkaLag,
    metric::kWatermarkDelay,
    metric::kDuplicates,
    metric::kLateRows,
    metric::kJobRuns,
    metric::kJobDuration,
    metric::kLastSuccess,
    metric::kUp,
    metric::kCpu,
    metric::kRss,
    metric::kStartTime,
};

// Fixed histogram buckets (upper bounds, seconds).
inline constexpr std::array kCommitBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                              0.5,   1.0,  2.5,   5.0,  10.0};
inline constexpr std::array kJobBuckets = {0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0};

}  // namespace sluice::obs
