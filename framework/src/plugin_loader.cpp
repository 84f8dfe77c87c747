#include "nnplug/framework/plugin_loader.hpp"

#include <elf.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <fmt/format.h>

#include "nnplug/framework/input_file.hpp"

namespace nnplug {

namespace fs = std::filesystem;

Library::Library(fs::path path, std::shared_ptr<boost::dll::shared_library> handle, std::string name,
                 std::string version, int priority, std::vector<std::string> provides)
    : path_(std::move(path)), handle_(std::move(handle)), name_(std::move(name)), version_(std::move(version)),
      priority_(priority), provides_(std::move(provides)) {}

Library::~Library() = default;

std::string Library::label() const { return fmt::format("plugin {}@{} ({})", name_, version_, path_.string()); }

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Loaded: return "loaded";
    case Verdict::Rejected: return "rejected";
    case Verdict::Unusable: return "unusable";
    case Verdict::Shadowed: return "shadowed";
  }
  return "?";
}

fs::path bundled_plugin_dir() {
  // The framework library sits in <prefix>/lib, or build/lib in a build tree; its plugins in nnplug/plugins below.
  return (boost::dll::this_line_location().parent_path() / "nnplug" / "plugins").lexically_normal();
}

void PluginLoader::add_directory(const fs::path& dir) { explicit_dirs_.push_back(dir); }

void PluginLoader::add_file(const fs::path& file) { explicit_files_.push_back(file); }

std::vector<fs::path> PluginLoader::search_path() const {
  std::vector<fs::path> dirs = explicit_dirs_;
  if (const char* env = std::getenv("NNPLUG_PLUGIN_PATH")) {
    std::stringstream ss(env);
    for (std::string item; std::getline(ss, item, ':');)
      if (!item.empty()) dirs.emplace_back(item);
  }
  dirs.push_back(bundled_plugin_dir());
  return dirs;
}

namespace {

std::vector<std::string> split_words(const char* s) {
  std::vector<std::string> out;
  std::stringstream ss(s ? s : "");
  for (std::string w; ss >> w;) out.push_back(w);
  return out;
}

// A library that passed the checks of its own file; whether it registers depends on the others.
struct Opened {
  std::size_t candidate;  // index into the verdicts
  std::size_t dir_index;  // where it was found: 0 an explicit file, else 1 + its directory's place in the search path
  std::shared_ptr<boost::dll::shared_library> handle;
  const nnplug_info_record* info;
};

struct ProbeOutcome {
  double score = 0.0;
  std::string why;
  std::string failure;  // set when the probe crashed, hung or answered nothing
};

// Runs a plugin's probe in a child process: a probe that crashes or hangs takes down only the child, and the host
// reports which plugin it was. The child writes the score and the reason to a pipe and exits at once.
ProbeOutcome probe_in_child(double (*probe)(char*, std::size_t)) {
  constexpr int kTimeoutMs = 10000;
  ProbeOutcome out;
  int fds[2];
  if (pipe(fds) != 0) {
    out.failure = std::string("cannot create a pipe: ") + std::strerror(errno);
    return out;
  }
  std::fflush(nullptr);  // nothing buffered is written twice
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    out.failure = std::string("cannot fork: ") + std::strerror(errno);
    return out;
  }
  if (pid == 0) {
    close(fds[0]);
    // A probe that crashes dies of its signal, which the parent names; handlers the host installed (a sanitizer's,
    // a crash reporter's) would turn it into another exit.
    for (const int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) std::signal(sig, SIG_DFL);
    char why[512] = "";
    const double score = probe(why, sizeof why);
    std::string answer(reinterpret_cast<const char*>(&score), sizeof score);
    answer += why;
    const ssize_t written = write(fds[1], answer.data(), answer.size());
    _exit(written == static_cast<ssize_t>(answer.size()) ? 0 : 1);
  }
  close(fds[1]);
  std::string answer;
  char buffer[256];
  bool timed_out = false;
  for (;;) {
    pollfd p{fds[0], POLLIN, 0};
    const int ready = poll(&p, 1, kTimeoutMs);
    if (ready == 0) {
      timed_out = true;
      kill(pid, SIGKILL);
      break;
    }
    if (ready < 0 && errno == EINTR) continue;
    const ssize_t n = ready > 0 ? read(fds[0], buffer, sizeof buffer) : -1;
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    answer.append(buffer, static_cast<std::size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) out.failure = fmt::format("the probe did not answer within {} s", kTimeoutMs / 1000);
  else if (WIFSIGNALED(status))
    out.failure = fmt::format("the probe crashed (signal {}, {})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || answer.size() < sizeof(double))
    out.failure = "the probe exited without an answer";
  else {
    std::memcpy(&out.score, answer.data(), sizeof(double));
    out.why = answer.substr(sizeof(double));
  }
  return out;
}

}  // namespace

std::string explain_fingerprint_mismatch(const std::string& plugin, const std::string& host) {
  auto fields = [](const std::string& s) {
    std::vector<std::string> out;
    for (std::size_t begin = 0; begin <= s.size();) {
      const std::size_t end = std::min(s.find("; ", begin), s.size());
      out.push_back(s.substr(begin, end - begin));
      begin = end + 2;
    }
    return out;
  };
  const auto p = fields(plugin), h = fields(host);
  std::vector<std::string> differ;
  for (std::size_t i = 0; i < std::max(p.size(), h.size()); ++i) {
    const std::string a = i < p.size() ? p[i] : "(none)", b = i < h.size() ? h[i] : "(none)";
    if (a != b) differ.push_back(fmt::format("{} in the plugin, {} in the host", a, b));
  }
  if (differ.empty()) return fmt::format("build fingerprint mismatch: '{}'", plugin);
  return fmt::format("build fingerprint mismatch: {}", fmt::join(differ, ", "));
}

namespace {

// Why the file cannot be a whole 64-bit ELF shared library, or "" if it may be. Checked before dlopen: mapping a
// truncated library kills the process with SIGBUS when the loader touches the missing pages.
std::string elf_file_problem(const fs::path& path) {
  try {
    require_regular_file(path, "the plugin file");  // a FIFO would block the host, a symlink loop never resolves
  } catch (const IoError& e) {
    return e.what();
  }
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (!in || ec) return fmt::format("cannot read {}", path.string());
  Elf64_Ehdr header{};
  if (!in.read(reinterpret_cast<char*>(&header), sizeof header) || std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0)
    return fmt::format("{} is not an ELF file", path.string());
  if (header.e_ident[EI_CLASS] != ELFCLASS64) return fmt::format("{} is not a 64-bit ELF file", path.string());
  std::uint64_t needed = header.e_phoff + std::uint64_t{header.e_phnum} * header.e_phentsize;
  if (header.e_shnum) needed = std::max<std::uint64_t>(needed, header.e_shoff + std::uint64_t{header.e_shnum} * header.e_shentsize);
  if (needed <= size) {
    in.seekg(static_cast<std::streamoff>(header.e_phoff));
    for (unsigned i = 0; i < header.e_phnum; ++i) {
      Elf64_Phdr segment{};
      if (!in.read(reinterpret_cast<char*>(&segment), sizeof segment)) break;
      if (segment.p_type == PT_LOAD) needed = std::max<std::uint64_t>(needed, segment.p_offset + segment.p_filesz);
    }
  }
  if (needed > size)
    return fmt::format("{} is truncated: it has {} bytes, its headers describe {}", path.string(), size, needed);
  return "";
}

// Opens one file and checks it on its own: loadable, entry points, record size, ABI, fingerprint, probe.
// Fills the candidate's fields; returns the handle when the library may be registered.
std::shared_ptr<boost::dll::shared_library> open_and_check(Candidate& c) {
  std::shared_ptr<boost::dll::shared_library> handle;
  if (const std::string problem = elf_file_problem(c.path); !problem.empty()) {
    c.reason = fmt::format("not a loadable shared library: {}", problem);
    return nullptr;
  }
  try {
    handle = std::make_shared<boost::dll::shared_library>(
        c.path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    c.reason = std::string("not a loadable shared library: ") + e.what();
    return nullptr;
  }
  if (!handle->has("nnplug_plugin_info")) {
    c.reason = "missing entry point nnplug_plugin_info (not an nnplug plugin, or built without NNPLUG_PLUGIN)";
    return nullptr;
  }
  const nnplug_info_record* info = handle->get<const nnplug_info_record*()>("nnplug_plugin_info")();
  if (!info || info->record_size < sizeof(nnplug_info_record)) {
    c.reason = fmt::format("info record is {} bytes, the host needs {}", info ? info->record_size : 0, sizeof(nnplug_info_record));
    return nullptr;
  }
  c.abi_version = info->abi_version;
  c.name = info->name ? info->name : "";
  c.version = info->version ? info->version : "";
  c.provides = info->provides ? info->provides : "";
  c.priority = info->priority;
  c.compiler = info->compiler ? info->compiler : "";
  if (info->abi_version != NNPLUG_ABI_VERSION) {
    c.reason = fmt::format("ABI mismatch: plugin {}@{} was built for ABI version {}, this host has ABI version {}; rebuild it against this SDK",
                           c.name, c.version, info->abi_version, NNPLUG_ABI_VERSION);
    return nullptr;
  }
  const std::string fingerprint = info->fingerprint ? info->fingerprint : "";
  if (fingerprint != NNPLUG_BUILD_FINGERPRINT) {
    c.reason = fmt::format("{} (plugin built by {}); rebuild it with the host's toolchain and SDK",
                           explain_fingerprint_mismatch(fingerprint, NNPLUG_BUILD_FINGERPRINT), c.compiler);
    return nullptr;
  }
  if (!handle->has("nnplug_plugin_register")) {
    c.reason = "missing entry point nnplug_plugin_register";
    return nullptr;
  }
  c.score = 1.0;
  if (handle->has("nnplug_plugin_probe")) {
    const ProbeOutcome probe = probe_in_child(handle->get<double(char*, std::size_t)>("nnplug_plugin_probe"));
    if (!probe.failure.empty()) {
      c.reason = fmt::format("probe failed: {}; plugin {}@{} is not loaded", probe.failure, c.name, c.version);
      return nullptr;
    }
    c.score = probe.score;
    if (!(c.score > 0.0)) {
      c.verdict = Verdict::Unusable;
      c.reason = probe.why.empty() ? "probe says unusable here" : fmt::format("probe says unusable here: {}", probe.why);
      return nullptr;
    }
  }
  return handle;
}

}  // namespace

std::vector<Candidate> PluginLoader::load_all(Registry& registry) const {
  warnings_.clear();
  std::vector<Candidate> verdicts;
  std::vector<Opened> opened;
  std::vector<fs::path> seen_dirs, explicit_files;
  // The explicit files first (origin 0), then the directories of the search path (origin d + 1).
  auto open_file = [&](const fs::path& file, std::size_t origin) {
    Candidate c;
    c.path = file;
    auto handle = open_and_check(c);
    if (c.verdict == Verdict::Unusable) registry.note_unusable(c.provides, fmt::format("{}: {}", c.path.string(), c.reason));
    verdicts.push_back(c);
    if (handle) opened.push_back({verdicts.size() - 1, origin, handle, handle->get<const nnplug_info_record*()>("nnplug_plugin_info")()});
  };
  for (const auto& file : explicit_files_) {
    std::error_code ec;
    explicit_files.push_back(fs::weakly_canonical(file, ec));
    open_file(file, 0);
  }
  const auto dirs = search_path();
  for (std::size_t d = 0; d < dirs.size(); ++d) {
    std::error_code ec;
    const fs::path dir = fs::weakly_canonical(dirs[d], ec);
    if (std::find(seen_dirs.begin(), seen_dirs.end(), dir) != seen_dirs.end()) continue;
    seen_dirs.push_back(dir);
    if (!fs::is_directory(dir, ec)) {
      const auto status = fs::status(dirs[d], ec);
      const bool missing = status.type() == fs::file_type::not_found || ec == std::errc::no_such_file_or_directory;
      if (d < explicit_dirs_.size())
        warnings_.push_back(fmt::format("plugin directory {} {}", dirs[d].string(),
                                        missing ? "does not exist" : ec ? fmt::format("cannot be examined: {}", ec.message()) : "is not a directory"));
      continue;
    }
    std::vector<fs::path> files;
    fs::directory_iterator it(dir, ec), end;
    if (ec) {
      warnings_.push_back(fmt::format("plugin directory {} cannot be read: {}", dir.string(), ec.message()));
      continue;
    }
    // Every *.so entry but a folder gets a verdict; one that cannot be examined (a symlink loop) gets its reason.
    for (; it != end; it.increment(ec)) {
      std::error_code entry_ec;
      if (it->path().extension() == ".so" && !fs::is_directory(it->path(), entry_ec)) files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      std::error_code file_ec;
      const bool opened_already = !explicit_files.empty() && std::find(explicit_files.begin(), explicit_files.end(),
                                                                       fs::weakly_canonical(file, file_ec)) != explicit_files.end();
      if (!opened_already) open_file(file, d + 1);
    }
  }

  // Among libraries that provide the same name, the highest priority wins, then the earlier directory of the
  // search path. Two of equal priority in one directory are a conflict: the second is rejected, naming the first.
  std::stable_sort(opened.begin(), opened.end(), [](const Opened& a, const Opened& b) {
    if (a.info->priority != b.info->priority) return a.info->priority > b.info->priority;
    return a.dir_index < b.dir_index;
  });
  // A library whose ops or kernels are refused once all are staged owns no name: the libraries it shadowed get
  // their turn in another round, without it (and without what relied on its ops).
  std::set<std::size_t> refused_ops;
  // A kernel may be for any backend type that a plugin found here declares, usable or not (a CUDA kernel on a
  // machine without a GPU).
  std::set<std::string> backend_types;
  for (const auto& name : registry.names(PluginKind::Backend)) backend_types.insert(name);  // from an earlier load
  for (const auto& c : verdicts)
    for (const auto& key : split_words(c.provides.c_str()))
      if (key.starts_with("backend:")) backend_types.insert(key.substr(8));
  for (;;) {
    std::map<std::string, const Opened*> owner;  // "kind:name" -> the library that provides it
    struct Staged {
      std::size_t candidate;
      std::unique_ptr<Registry::Staging> staging;
    };
    std::vector<Staged> staged;
    for (const auto& o : opened) {
      if (refused_ops.contains(o.candidate)) continue;
      Candidate& c = verdicts[o.candidate];
      c.reason.clear();  // from an earlier round
      const auto provides = split_words(o.info->provides);
      for (const auto& key : provides) {
        const auto it = owner.find(key);
        if (it == owner.end()) continue;
        const Candidate& winner = verdicts[it->second->candidate];
        if (it->second->info->priority == o.info->priority && it->second->dir_index == o.dir_index) {
          c.verdict = Verdict::Rejected;
          c.reason = fmt::format("duplicate name '{}': already provided by {} with the same priority {}", key, winner.path.string(), c.priority);
        } else {
          c.verdict = Verdict::Shadowed;
          c.reason = fmt::format("'{}' is provided by {}{}", key, winner.path.string(),
                                 winner.priority > c.priority ? fmt::format(" with higher priority {}", winner.priority)
                                                              : ", earlier in the search path");
        }
        break;
      }
      if (!c.reason.empty()) continue;

      auto library = std::make_shared<const Library>(c.path, o.handle, c.name, c.version, c.priority, provides);
      auto staging = registry.stage(library, c.score);
      char error[1024] = "";
      const int rc = o.handle->get<int(Registrar*, char*, std::size_t)>("nnplug_plugin_register")(staging.get(), error,
                                                                                                 sizeof error);
      if (rc != 0) {
        c.verdict = Verdict::Rejected;
        c.reason = fmt::format("register failed: {}", error);
        continue;
      }
      staged.push_back({o.candidate, std::move(staging)});
      for (const auto& key : provides) owner[key] = &o;
    }

    // Ops and kernels are checked once every library is staged: a kernel may be for another library's op.
    std::vector<const Registry::Staging*> batch;
    for (const auto& s : staged) batch.push_back(s.staging.get());
    const std::size_t refused_before = refused_ops.size();
    for (const auto& s : staged) {
      if (std::string problem = registry.op_problem(*s.staging, batch, backend_types); !problem.empty()) {
        verdicts[s.candidate].verdict = Verdict::Rejected;
        verdicts[s.candidate].reason = fmt::format("register failed: {}", problem);
        refused_ops.insert(s.candidate);
      }
    }
    if (refused_ops.size() != refused_before) continue;
    for (auto& s : staged) {
      registry.commit(*s.staging);
      verdicts[s.candidate].verdict = Verdict::Loaded;
    }
    break;
  }
  registry.link_ops();
  return verdicts;
}

}  // namespace nnplug
