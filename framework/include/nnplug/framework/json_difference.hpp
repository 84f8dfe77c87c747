#pragma once
// Where two specs (or two sections of them) first differ, said as the user wrote the spec, so that a refusal of a
// checkpoint or an ensemble can name the field rather than only that something differs.
#include <string>

#include "nnplug/params.hpp"

namespace nnplug {

// "" where a equals b (numbers by value: 4 equals 4.0); else the first place they differ (array elements in order, an
// object's keys sorted), its path from `path` ("layers[0].units"), and both values (a value one side lacks is
// "absent"): "layers[0].units: 4 in A_NAME, 9 in B_NAME". Both are at most kMaxJsonDepth deep (parse_user_json).
std::string first_difference(const Params::Json& a, const Params::Json& b, const std::string& a_name, const std::string& b_name,
                             const std::string& path = "");

}  // namespace nnplug
