#include "exporter/metrics/family_selection.h"

#include <algorithm>
#include <string>

#include "exporter/common/pattern_list.h"

namespace pe::metrics {
namespace {

// The list's entries, each checked to match some declared family.
Result<std::vector<FullMatch>> DeclaredPatterns(std::string_view text) {
  Result<std::vector<FullMatch>> list = CompilePatternList(text);
  if (!list.ok()) return list.status();
  for (const FullMatch& entry : *list) {
    const auto& defs = AllDefs();
    if (std::none_of(defs.begin(), defs.end(), [&](const Def* def) {
          return entry.Matches(def->name);
        })) {
      return Status::InvalidArgument(
          "\"" + entry.pattern() +
          "\" matches no metric family (the families are listed in the "
          "README's metrics reference)");
    }
  }
  return list;
}

bool AnyMatches(const std::vector<FullMatch>& list, std::string_view name) {
  return std::any_of(list.begin(), list.end(),
                     [&](const FullMatch& m) { return m.Matches(name); });
}

}  // namespace

Status FamilySelection::CheckList(std::string_view list) {
  return DeclaredPatterns(list).status();
}

FamilySelection::FamilySelection() : exposed_(AllDefs().size(), true) {}

Result<FamilySelection> FamilySelection::Make(std::string_view allow,
                                              std::string_view deny) {
  Result<std::vector<FullMatch>> allowed = DeclaredPatterns(allow);
  if (!allowed.ok()) return allowed.status().WithContext("allow list");
  Result<std::vector<FullMatch>> denied = DeclaredPatterns(deny);
  if (!denied.ok()) return denied.status().WithContext("deny list");
  FamilySelection selection;
  const auto& defs = AllDefs();
  for (std::size_t i = 0; i < defs.size(); ++i) {
    const std::string_view name = defs[i]->name;
    selection.exposed_[i] = (allowed->empty() || AnyMatches(*allowed, name)) &&
                            !AnyMatches(*denied, name);
  }
  return selection;
}

bool FamilySelection::Exposes(const Def& def) const {
  return Exposes(def.name);
}

bool FamilySelection::Exposes(std::string_view family_name) const {
  const auto& defs = AllDefs();
  for (std::size_t i = 0; i < defs.size(); ++i) {
    if (defs[i]->name == family_name) return exposed_[i];
  }
  return true;  // not declared here: not ours to hide
}

std::vector<const Def*> FamilySelection::Hidden() const {
  std::vector<const Def*> hidden;
  const auto& defs = AllDefs();
  for (std::size_t i = 0; i < defs.size(); ++i) {
    if (!exposed_[i]) hidden.push_back(defs[i]);
  }
  return hidden;
}

bool FamilySelection::all() const {
  return std::all_of(exposed_.begin(), exposed_.end(),
                     [](bool exposed) { return exposed; });
}

}  // namespace pe::metrics
