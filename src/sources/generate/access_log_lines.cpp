#include "sources/generate/access_log_lines.h"

#include <array>
#include <vector>

#include "core/time.h"
#include "sources/generate/draws.h"

namespace sluice::generate {

namespace {

constexpr int kServerOffsetMinutes = 60;  // the server logs in +0100
constexpr uint64_t kClients = 4000;

constexpr std::string_view kMonthNames[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

constexpr std::string_view kBrowsers[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
};
constexpr double kBrowserCdf[] = {38, 55, 65, 82, 95, 100};

constexpr std::string_view kBots[] = {
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "curl/8.5.0",
    "python-requests/2.32.3",
    "Go-http-client/1.1",
    "-",
};
constexpr double kBotCdf[] = {35, 55, 68, 80, 90, 100};

constexpr std::string_view kProducts[] = {"playstation5",
                                          "xbox-series-x",
                                          "nintendo-switch-oled",
                                          "ultrabook-14",
                                          "monitor-27-4k",
                                          "smart-tv-55",
                                          "true-wireless-earbuds",
                                          "robot-vacuum",
                                          "espresso-machine",
                                          "e-reader",
                                          "drone-mini",
                                          "smartwatch-series-3"};

// Paths a browser asks for, and how heavy their responses are (median bytes).
struct Page {
  std::string_view path;
  double weight;
  double median_bytes;
};
constexpr Page kPages[] = {
    {"/", 10, 24000},
    {"/product/", 30, 48000},  // + a product slug
    {"/search", 7, 31000},     // + ?q=...
    {"/cart", 4, 18000},
    {"/checkout", 2, 21000},
    {"/api/v1/items", 9, 3200},  // + ?page=N
    {"/static/js/app.js", 8, 182000},
    {"/static/css/app.css", 8, 41000},
    {"/images/", 14, 96000},  // + N.webp
    {"/favicon.ico", 3, 4286},
    {"/robots.txt", 1, 120},
    {"/downloads/firmware.img", 0.05, 3.2e9},  // multi-GB: beyond 2^31
};

constexpr std::string_view kBotProbes[] = {"/wp-login.php", "/.env", "/admin/config.php",
                                           "/.git/config", "/xmlrpc.php"};
constexpr std::string_view kSearchTerms[] = {"console",     "tv", "headphones", "laptop+stand",
                                             "usb-c%20hub", "4k", "gift+ideas"};

struct Tables {
  std::vector<double> client_cdf;
  std::vector<double> page_cdf;
};

const Tables& tables() {
  static const Tables t = [] {
    Tables r;
    double sum = 0;
    for (uint64_t k = 1; k <= kClients; ++k) {
      r.client_cdf.push_back(sum += 1.0 / std::pow(static_cast<double>(k), 0.9));
    }
    sum = 0;
    for (const Page& p : kPages) r.page_cdf.push_back(sum += p.weight);
    return r;
  }();
  return t;
}

// A client address: IPv6 for about 8% of clients.
void put_client(std::string& out, uint64_t client) {
  const uint64_t h = mix64(client ^ 0xC11E47ULL);
  if (h % 100 < 8) {
    put(out, "2001:db8:");
    put_hex(out, (h >> 8) & 0xFFFF, 4);
    out.push_back(':');
    put_hex(out, (h >> 24) & 0xFFFF, 4);
    put(out, "::");
    put_hex(out, (h >> 40) & 0xFFF, 3);
    return;
  }
  static constexpr int kFirst[] = {23, 31, 46, 62, 77, 81, 88, 93, 109, 151, 176, 185, 203, 212};
  put_int(out, kFirst[(h >> 8) % std::size(kFirst)]);
  for (int k = 0; k < 3; ++k) {
    out.push_back('.');
    put_int(out, static_cast<int64_t>(((h >> (16 + 8 * k)) & 0xFF) % 254 + 1));
  }
}

// [dd/Mon/yyyy:hh:mm:ss +0100]
void put_clf_time(std::string& out, int64_t ts_ms) {
  const int64_t local_ms = ts_ms + int64_t{kServerOffsetMinutes} * 60000;
  int64_t ms = local_ms % 1000;
  if (ms < 0) ms += 1000;
  const CivilTime c = to_civil((local_ms - ms) * 1000);
  out.push_back('[');
  put_padded(out, c.day, 2);
  out.push_back('/');
  put(out, kMonthNames[c.month - 1]);
  out.push_back('/');
  put_padded(out, c.year, 4);
  out.push_back(':');
  put_padded(out, c.hour, 2);
  out.push_back(':');
  put_padded(out, c.minute, 2);
  out.push_back(':');
  put_padded(out, c.second, 2);
  put(out, " +0100]");
}

}  // namespace

void access_log_line(uint64_t content_seed, int64_t ts_ms, Corruption corruption,
                     std::string& out) {
  Rng rng(content_seed);
  const Tables& t = tables();
  if (corruption == Corruption::kNotObject) {
    static constexpr std::string_view kJunk[] = {
        "GET /index.html HTTP/1.1",
        "PHP Warning:  Undefined variable $user in /var/www/html/index.php on line 12",
        "\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xfc\\x03\\x03",
        "[notice] caught SIGWINCH, shutting down gracefully",
    };
    put(out, kJunk[rng.below(std::size(kJunk))]);
    return;
  }
  const bool bot = rng.uniform() < 0.12;
  const uint64_t client = bot ? kClients + 1 + rng.below(40) : 1 + pick(rng, t.client_cdf);
  const std::string_view agent =
      bot ? kBots[pick(rng, kBotCdf)]
          : kBrowsers[mix64(client) % 100 < 3 ? 5 : pick(rng, kBrowserCdf)];

  // The request.
  std::string request;
  double median_bytes = 12000;
  int status = 200;
  const double u_odd = rng.uniform();
  const double u_method = rng.uniform();
  const size_t page = pick(rng, t.page_cdf);
  const uint64_t detail = rng.next();
  if (bot && u_odd < 0.04) {
    request = "";  // a client that sent nothing before timing out
    status = 400;
  } else if (bot && u_odd < 0.06) {
    request = "\\x16\\x03\\x01\\x00\\xa5\\x01\\x00\\x00\\xa1\\x03\\x03";  // TLS to port 80
    status = 400;
  } else if (bot && u_odd < 0.08) {
    request = "-";
    status = 408;
  } else {
    // Writes go to the API and the cart; everything else is read.
    const std::string_view path = kPages[page].path;
    const bool writable = path == "/api/v1/items" || path == "/cart" || path == "/checkout";
    std::string_view method = u_method < 0.96 ? "GET" : "HEAD";
    if (writable && u_method > 0.6) {
      method = u_method < 0.9    ? "POST"
               : u_method < 0.95 ? "PUT"
               : u_method < 0.98 ? "DELETE"
                                 : "OPTIONS";
    }
    request = method;
    request += ' ';
    if (bot && u_odd < 0.25) {
      request += kBotProbes[detail % std::size(kBotProbes)];
      status = 404;
    } else {
      const Page& p = kPages[page];
      request += p.path;
      median_bytes = p.median_bytes;
      if (p.path == "/product/") {
        request += kProducts[detail % std::size(kProducts)];
      } else if (p.path == "/search") {
        request += "?q=";
        request += kSearchTerms[detail % std::size(kSearchTerms)];
      } else if (p.path == "/api/v1/items") {
        request += "?page=";
        request += std::to_string(1 + detail % 20);
      } else if (p.path == "/images/") {
        request += std::to_string(100 + detail % 400);
        request += ".webp";
      }
      const double u = rng.uniform();
      if (u < 0.055) {
        status = 304;
      } else if (u < 0.085) {
        status = u < 0.075 ? 301 : 302;
      } else if (u < 0.135) {
        status = 404;
      } else if (u < 0.145) {
        status = u < 0.14 ? 401 : 403;
      } else if (u < 0.16) {
        status = 500;
      } else if (u < 0.17) {
        status = u < 0.166 ? 502 : 503;
      } else if (u < 0.173) {
        status = 400;
      }
    }
    request += ' ';
    request += (detail >> 40) % 10 < 3 ? "HTTP/2.0" : "HTTP/1.1";
  }

  // Response size and time.
  double bytes = std::clamp(rng.log_normal(median_bytes, 0.5), 20.0, 9e9);
  if (status >= 300 && status != 404) bytes = std::min(bytes, 600.0);
  if (status == 404) bytes = 150 + static_cast<double>(detail % 400);
  const bool no_body = status == 304 || status == 408 || (detail % 7 == 0 && status >= 300);
  double seconds = rng.log_normal(status >= 500 ? 0.8 : 0.045, 0.9);
  if (median_bytes > 1e9) seconds += bytes / 4e7;  // a download takes its time

  put_client(out, client);
  put(out, " - ");
  if (!bot && client % 50 == 0) {
    put(out, "user");
    put_int(out, static_cast<int64_t>(client));
  } else {
    out.push_back('-');
  }
  out.push_back(' ');
  if (corruption != Corruption::kMissingField) {
    put_clf_time(out, ts_ms);
    out.push_back(' ');
  }
  out.push_back('"');
  if (corruption == Corruption::kInvalidUtf8 && request.size() > 5) {
    request.insert(5, "\xC3\x28\xFF");
  }
  put(out, request);
  put(out, "\" ");
  if (corruption == Corruption::kWrongType) {
    put(out, "2OO");
  } else {
    put_int(out, status);
  }
  out.push_back(' ');
  if (no_body) {
    out.push_back('-');
  } else {
    put_int(out, static_cast<int64_t>(bytes));
  }
  put(out, " \"");
  if (bot || rng.uniform() < 0.4) {
    out.push_back('-');
  } else {
    put(out, "https://shop.example.com");
    put(out, detail % 3 == 0 ? "/search?q=gift+ideas" : detail % 3 == 1 ? "/" : "/cart");
  }
  put(out, "\" \"");
  const size_t agent_at = out.size();
  put(out, agent);
  if (corruption == Corruption::kTruncated) {
    out.resize(agent_at + agent.size() / 2);  // cut before the closing quote
    return;
  }
  put(out, "\" ");
  put_fixed(out, seconds, 3);
}

}  // namespace sluice::generate
