#!/usr/bin/env bash
# Install or upgrade revbot on a Debian 12+ or Ubuntu 24.04+ server, from this checkout:
#
#   sudo ./deploy/install.sh
#
# It creates the revbot user and its folders, copies the bot to /opt/revbot/src, installs it with its pinned
# dependencies into /opt/revbot/venv, installs the systemd units (the bot, a template for one process per shard
# range, a daily backup timer) and a `revbot` command for the admin, then says what to do next. Running it again
# upgrades in place: the data folder (/var/lib/revbot) and an existing settings file (/etc/revbot/revbot.env) are
# never changed, and the database is backed up before the new version starts.
# Roll back and uninstall: docs/operations.md.
#
# Options:
#   --root DIR   install under DIR instead of / (also: DESTDIR=DIR). Files are written there, and commands
#                that would change this system (useradd, chown, apt-get, systemctl) are printed, not run.
#   --no-venv    do not create the virtual environment or install packages (for tests of the rest).
set -euo pipefail
umask 022

APP_DIR=/opt/revbot
DATA_DIR=/var/lib/revbot
BACKUP_DIR=$DATA_DIR/backups
UPGRADE_BACKUP_DIR=$BACKUP_DIR/before-upgrade  # copies taken by upgrades; the newest UPGRADE_KEEP are kept
UPGRADE_KEEP=3
CONF_DIR=/etc/revbot
ENV_FILE=$CONF_DIR/revbot.env
UNIT_DIR=/etc/systemd/system
ADMIN_COMMAND=/usr/local/bin/revbot
SERVICE_USER=revbot
UNITS=(revbot.service revbot@.service revbot-backup.service revbot-backup.timer)
SOURCES=(pyproject.toml constraints.txt README.md docs bot cogs content deploy)

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
say() { printf '==> %s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

ROOT=${DESTDIR:-/}
MAKE_VENV=1
while [[ $# -gt 0 ]]; do
    case $1 in
        --root) [[ $# -ge 2 ]] || die "--root needs a folder"; ROOT=$2; shift 2 ;;
        --root=*) ROOT=${1#--root=}; shift ;;
        --no-venv) MAKE_VENV=0; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown option: $1" ;;
    esac
done

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[[ -f $SRC/pyproject.toml && -f $SRC/constraints.txt && -d $SRC/bot ]] || die "run me from a revbot checkout ($SRC)"
[[ $ROOT == /* ]] || ROOT=$(pwd)/$ROOT
ROOT=${ROOT%/}  # "" for the real system, so "$ROOT$APP_DIR" is /opt/revbot
LIVE=0
[[ -z $ROOT ]] && LIVE=1

# Commands that change the system run only on a live install; under --root they are printed.
run() {
    if ((LIVE)); then
        "$@"
    else
        printf 'would run: %s\n' "$*"
    fi
}

if ((LIVE)) && [[ $EUID -ne 0 ]]; then
    die "run me as root: sudo $0 $*"
fi

# 1. Python 3.11 or newer with venv (Debian and Ubuntu ship venv as a separate package).
if ((MAKE_VENV)); then
    if ((LIVE)) && ! { command -v python3 >/dev/null && python3 -c 'import ensurepip, venv' 2>/dev/null; }; then
        say "installing python3 and python3-venv"
        run apt-get update -q
        run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3 python3-venv
    fi
    command -v python3 >/dev/null || die "python3 is missing"
    python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
        die "revbot needs Python 3.11 or newer; this system has $(python3 -V 2>&1) (use Debian 12+ or Ubuntu 24.04+)"
fi

# 2. The service user: no login, no home of its own beyond the data folder.
if ((LIVE)) && id -u "$SERVICE_USER" >/dev/null 2>&1; then
    say "user $SERVICE_USER exists"
else
    say "creating user $SERVICE_USER"
    run useradd --system --user-group --home-dir "$DATA_DIR" --no-create-home --shell /usr/sbin/nologin "$SERVICE_USER"
fi

# 3. Folders. The data folder is created once and never touched again: it holds the database and backups.
install -d -m 755 "$ROOT$APP_DIR" "$ROOT$UNIT_DIR" "$ROOT$(dirname "$ADMIN_COMMAND")"
install -d -m 700 "$ROOT$CONF_DIR"
for dir in "$DATA_DIR" "$BACKUP_DIR"; do
    if [[ ! -d $ROOT$dir ]]; then
        say "creating $dir"
        install -d -m 750 "$ROOT$dir"
        run chown "$SERVICE_USER:$SERVICE_USER" "$ROOT$dir"
    fi
done

# 4. The bot's files: copied to a new folder, then swapped in, so a failed copy leaves the old one whole.
say "copying revbot to $APP_DIR/src"
rm -rf "$ROOT$APP_DIR/src.new" "$ROOT$APP_DIR/src.old"
mkdir "$ROOT$APP_DIR/src.new"
(cd "$SRC" && tar --exclude=__pycache__ --exclude='*.pyc' --exclude='*.egg-info' -cf - "${SOURCES[@]}") |
    tar -C "$ROOT$APP_DIR/src.new" --no-same-owner -xf -
if [[ -d $ROOT$APP_DIR/src ]]; then
    mv "$ROOT$APP_DIR/src" "$ROOT$APP_DIR/src.old"
fi
mv "$ROOT$APP_DIR/src.new" "$ROOT$APP_DIR/src"
rm -rf "$ROOT$APP_DIR/src.old"

# 5. The virtual environment, with exactly the versions in constraints.txt.
if ((MAKE_VENV)); then
    venv=$ROOT$APP_DIR/venv
    if ! "$venv/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        say "creating the virtual environment $APP_DIR/venv"
        python3 -m venv --clear "$venv"
    fi
    say "installing revbot and its pinned dependencies (a minute or two)"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir \
        -c "$ROOT$APP_DIR/src/constraints.txt" "$ROOT$APP_DIR/src"
    rm -rf "$ROOT$APP_DIR/src/build" "$ROOT$APP_DIR/src"/*.egg-info
else
    say "skipping the virtual environment (--no-venv)"
fi

# 6. Settings: the example once; an existing file (with the token) is kept exactly as it is.
if [[ -e $ROOT$ENV_FILE ]]; then
    say "keeping $ENV_FILE"
    mode=$(stat -c %a "$ROOT$ENV_FILE")
    [[ $mode == 600 ]] || printf 'warning: %s has mode %s; it holds the token, so run: sudo chmod 600 %s\n' \
        "$ENV_FILE" "$mode" "$ENV_FILE" >&2
else
    say "writing $ENV_FILE (mode 600)"
    install -m 600 "$SRC/deploy/revbot.env.example" "$ROOT$ENV_FILE"
fi

# 7. systemd units and the admin command.
say "installing ${UNITS[*]} and $ADMIN_COMMAND"
for unit in "${UNITS[@]}"; do
    install -m 644 "$SRC/deploy/$unit" "$ROOT$UNIT_DIR/$unit"
done
install -m 755 "$SRC/deploy/revbot-admin" "$ROOT$ADMIN_COMMAND"

has_token=0
grep -Eq '^DISCORD_TOKEN=[^[:space:]]+' "$ROOT$ENV_FILE" && has_token=1
has_database=0
if [[ -f $ROOT$DATA_DIR/revbot.sqlite3 ]] || grep -Eq '^DATABASE_URL=[^[:space:]]+' "$ROOT$ENV_FILE"; then
    has_database=1
fi
# Several processes (revbot@<shards>.service) replace revbot.service: once any is enabled, an upgrade restarts
# those and leaves revbot.service disabled, so the two never run together.
BOT_UNITS=(revbot.service)
instances=("$ROOT$UNIT_DIR"/multi-user.target.wants/revbot@?*.service)
if [[ -L ${instances[0]} || -e ${instances[0]} ]]; then  # systemctl enable makes symlinks
    BOT_UNITS=("${instances[@]##*/}")
fi
if ((LIVE)) && [[ ! -d /run/systemd/system ]]; then
    say "systemd is not running here: start the bot yourself with: sudo -u $SERVICE_USER $APP_DIR/venv/bin/revbot run"
else
    run systemctl daemon-reload
    if [[ ${BOT_UNITS[*]} == revbot.service ]]; then
        run systemctl enable revbot.service
    fi
    run systemctl enable --now revbot-backup.timer
    if ((has_token && has_database)); then
        # An upgrade may bring database migrations, which the bot applies as it starts. Stop it, keep a copy of
        # the database as it is now (the way back: docs/operations.md, "Roll back"), then start the new version.
        say "backing up the database to $UPGRADE_BACKUP_DIR before the new version starts"
        run systemctl stop "${BOT_UNITS[@]}"
        run "$ADMIN_COMMAND" db backup --keep "$UPGRADE_KEEP" "$UPGRADE_BACKUP_DIR" ||
            die "the backup failed (see above), so the bot is left stopped with its database unchanged. Fix it and run me again, or start the new version without a backup: sudo systemctl start ${BOT_UNITS[*]%.service}"
        run systemctl start "${BOT_UNITS[@]}"
    elif ((has_token)); then
        run systemctl restart "${BOT_UNITS[@]}"
    fi
fi

# 8. What next.
if ((has_token)); then
    cat <<EOF

revbot is installed and (re)started.
  Check it:      sudo revbot doctor
  Logs:          journalctl -u revbot -f
EOF
else
    cat <<EOF

revbot is installed. Next:
  1. Put the bot's token in the settings:  sudo nano $ENV_FILE    (DISCORD_TOKEN=...)
  2. Check everything:                     sudo revbot doctor
  3. Start the bot:                        sudo systemctl start revbot
  4. Invite it to your server:             sudo revbot invite-url    (open the link it prints)
  Logs: journalctl -u revbot -f    Backups: $BACKUP_DIR, daily
EOF
fi
