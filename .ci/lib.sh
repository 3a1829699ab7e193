# Shared by the .ci scripts (sourced).

# apt_install installs Debian packages, updating the package lists once
# if they are missing or stale.
apt_install() {
  timeout 300 apt-get install -y -q "$@" >>/tmp/circlebot-ci-apt.log 2>&1 ||
    { timeout 300 apt-get update -q >>/tmp/circlebot-ci-apt.log 2>&1 && timeout 300 apt-get install -y -q "$@" >>/tmp/circlebot-ci-apt.log 2>&1; }
}
