#!/usr/bin/env bash
# Installs the Debian packages nnplug needs to build, test and run the demo. Installs only what is missing, so a
# machine that has everything spends no time here.
set -euo pipefail
packages=(
  build-essential cmake ccache pkg-config
  libboost-dev libeigen3-dev nlohmann-json3-dev libcli11-dev zlib1g-dev libzip-dev libfmt-dev libpng-dev libjpeg-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  openmpi-bin libopenmpi-dev iproute2 libdnnl-dev
  # Debian's oneDNN is built with its OpenCL GPU runtime: its CMake package fails without the OpenCL headers, which
  # it only recommends.
  ocl-icd-opencl-dev
  clang libclang-rt-14-dev libomp-14-dev
  pybind11-dev python3-dev python3-numpy python3-pytest libdlpack-dev
  dataset-fashion-mnist
  chromium
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
