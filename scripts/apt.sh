# apt.sh - sourced by the scripts that install Debian packages or fetch Debian sources:
# install-deps, build-wasm-interp-wasi and bench/peers/build.sh. Root runs apt directly,
# anyone else through sudo; apt-get update runs at most once per script.

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive "$@"
  else
    sudo DEBIAN_FRONTEND=noninteractive "$@"
  fi
}

apt_updated=no
apt_update_once() {
  if [ "$apt_updated" = no ]; then
    as_root apt-get update
    apt_updated=yes
  fi
}

# Installs the packages named in "$@" that dpkg does not list as installed.
apt_install_missing() {
  local missing=() package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "apt: installing ${missing[*]}"
  apt_update_once
  as_root apt-get install -y --no-install-recommends "${missing[@]}"
}

# apt-get source needs a deb-src entry, which a fresh machine often lacks: adds Debian's main
# archive for this release when none exists.
apt_ensure_deb_src() {
  grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/ && return 0
  local suite
  suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
  echo "apt: adding Debian's source archive (/etc/apt/sources.list.d/debian-src.sources)"
  printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$suite" "$suite" | as_root tee /etc/apt/sources.list.d/debian-src.sources >/dev/null
  apt_updated=no
  apt_update_once
}
