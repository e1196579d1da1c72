// Syslog lines, RFC 5424 and RFC 3164 (BSD), told apart per line:
//   RFC 5424  <PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]
//             <165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47
//                 [exampleSDID@32473 iut="3" eventSource="Application"] An application event
//   RFC 3164  [<PRI>]Mmm dd hh:mm:ss HOSTNAME TAG: MSG
//             <34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8
//             Jul  7 08:06:15 combo login(pam_unix)[2421]: session opened for user root
// A line is RFC 5424 when the PRI is followed by a version number and a
// space; otherwise RFC 3164, whose PRI is optional (files written by syslogd
// have none) and whose timestamp may also be RFC 3339 (rsyslog's file
// format). An RFC 3164 stamp has no year and no zone: the year comes from the
// ingest time (December read in January is last year's), the zone from
// `source.text.timezone`.
//
// The RFC 3164 TAG is what precedes the first ": " (at most 64 bytes in);
// a trailing [pid] becomes procid. Real tags break RFC 3164's "alphanumeric,
// 32 characters" rule (sshd(pam_unix)[19939], "syslogd 1.4.1"), so they are
// taken as written. A line without ": " has no tag: all of it after the
// hostname is the message. Trailing blanks of the message are dropped.
// Structured data is kept as written, as one string.
//
// Threading: scan() writes the facility/severity digits into the scanner,
// so one SyslogScanner serves one thread.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "transforms/parse/text/captures.h"

namespace sluice::parse::text {

enum SyslogSlot : uint8_t {
  kSyslogPriority,
  kSyslogFacility,
  kSyslogSeverity,
  kSyslogVersion,
  kSyslogTimestamp,
  kSyslogHostname,
  kSyslogAppName,
  kSyslogProcId,
  kSyslogMsgId,
  kSyslogStructuredData,
  kSyslogMessage,
  kSyslogSlots
};

inline constexpr CaptureSpec kSyslogCaptures[kSyslogSlots] = {
    {"priority", CaptureKind::kPlain, {}},         // PRI: facility * 8 + severity
    {"facility", CaptureKind::kFacility, {}},      // int field: 0..23; string field: "auth"
    {"severity", CaptureKind::kSeverity, {}},      // int field: 0..7; string field: "err"
    {"version", CaptureKind::kPlain, {}},          // RFC 5424 only: 1
    {"timestamp", CaptureKind::kSyslogTime, {}},   // Mmm dd hh:mm:ss, or RFC 3339
    {"hostname", CaptureKind::kPlain, {}},         //
    {"app_name", CaptureKind::kPlain, "tag"},      // RFC 3164 TAG without [pid]
    {"procid", CaptureKind::kPlain, "pid"},        // RFC 3164 [pid]
    {"msgid", CaptureKind::kPlain, {}},            // RFC 5424 only
    {"structured_data", CaptureKind::kPlain, {}},  // RFC 5424 only, as written
    {"message", CaptureKind::kPlain, "msg"},       // the rest
};

class SyslogScanner {
 public:
  static std::span<const CaptureSpec> captures() { return kSyslogCaptures; }

  bool scan(std::string_view line, Captures& out, std::string& error);

 private:
  bool scan_rfc5424(std::string_view line, size_t pos, Captures& out, std::string& error);
  bool scan_rfc3164(std::string_view line, size_t pos, Captures& out, std::string& error);

  char facility_[4] = {};
  char severity_[2] = {};
};

}  // namespace sluice::parse::text
