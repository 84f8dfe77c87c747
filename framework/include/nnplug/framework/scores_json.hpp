#pragma once
// Scores as JSON, for results that travel between ranks (spread_over_ranks.hpp). JSON has no NaN or infinity, so a
// number that is not finite (the loss of a run that diverged) travels as null and comes back as NaN; callbacks'
// best values, infinite before the first epoch, travel the same way (callback_state.hpp).
#include <cmath>

#include <nlohmann/json.hpp>

#include "nnplug/framework/trainer.hpp"

namespace nnplug {

inline nlohmann::json finite_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }
inline double number_or(const nlohmann::json& v, double otherwise) { return v.is_null() ? otherwise : v.get<double>(); }

inline nlohmann::json scores_json(const Scores& s) {
  return {{"loss", finite_or_null(s.loss)}, {"score", finite_or_null(s.score)}, {"kind", static_cast<int>(s.kind)}};
}

inline Scores scores_from_json(const nlohmann::json& j) {
  return {number_or(j.at("loss"), std::nan("")), number_or(j.at("score"), std::nan("")), static_cast<ScoreKind>(j.at("kind").get<int>())};
}

}  // namespace nnplug
