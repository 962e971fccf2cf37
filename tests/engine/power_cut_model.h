// What one directory may hold after a power cut, modelled from the file calls a pass makes: the io layer's
// fault hook (io::set_file_fault_hook_for_testing) reports each pwrite, fdatasync, fsync, rename and
// directory fsync before it is made. A file's bytes become durable when an fdatasync or fsync of it begins
// (it covers every write made before it); the directory's names when an fsync of the directory begins.
// Anything newer may or may not have reached the device. At a cut the model writes the directory as a device
// with a volatile cache may have kept it (see CutImage); the files it saw are held open, so an inode number
// is never reused for a different file while the model lives.
//
// Only the one directory is modelled (a partition's: what compaction rewrites); calls on other paths are
// ignored. Single-threaded, like the pass it observes (the hook runs under the io layer's mutex).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <string_view>

namespace strata::testing {

enum class CutImage {
  kDurableOnly,       // the names of the last directory fsync, each file as its last sync left it
  kNamesWithoutData,  // today's names, but each file as its last sync left it (never synced: empty)
  kRandom,            // either set of names; each file synced, as today, or torn between the two at a sector
};

class PowerCutModel {
 public:
  // Everything in `dir` now counts as durable.
  explicit PowerCutModel(std::string dir);
  ~PowerCutModel();
  PowerCutModel(const PowerCutModel&) = delete;
  PowerCutModel& operator=(const PowerCutModel&) = delete;

  // From the hook, before the call is made.
  void observe(std::string_view operation, const std::string& path);

  // Creates `out` (a new directory) holding what `dir` may hold after a cut now.
  void write_image(const std::string& out, CutImage image, std::mt19937_64& random);

 private:
  using Names = std::map<std::string, ino_t>;  // file name -> inode
  Names list_and_hold();                       // today's names; every inode held open
  std::string content(ino_t inode) const;      // what the inode holds today

  std::string dir_;
  std::map<ino_t, int> held_;  // inode -> an open descriptor
  Names durable_names_;
  std::map<ino_t, std::string> durable_bytes_;
};

}  // namespace strata::testing
