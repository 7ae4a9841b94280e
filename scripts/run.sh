#!/usr/bin/env bash
# Started by `make run`: prepares the database and the demo, then runs a worker (with
# the periodic scheduler) in the background and the web server in the foreground.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
HOST=${DATAMED_HOST:-127.0.0.1}
PORT=${DATAMED_PORT:-8000}
mkdir -p var/log

echo "==> Base de données : migrations"
$PY manage.py migrate --no-input -v 0
echo "==> Données de démonstration"
$PY manage.py load_demo
echo "==> Comptes de démonstration"
$PY manage.py create_demo_users

echo "==> Worker (files ingest, publish, default) et planificateur périodique"
.venv/bin/celery -A backoffice worker --beat --queues ingest,publish,default \
    --concurrency 1 --without-gossip --without-mingle --without-heartbeat \
    --schedule var/celerybeat-schedule --loglevel INFO \
    > var/log/worker.log 2>&1 &
WORKER_PID=$!
trap 'echo "==> Arrêt du worker"; kill -TERM $WORKER_PID 2>/dev/null; wait $WORKER_PID 2>/dev/null || true' EXIT INT TERM

cat <<MSG

DataMed est prêt :
  Back office : http://$HOST:$PORT/admin/
  Site public : http://$HOST:$PORT/
  Journal du worker : var/log/worker.log
  Arrêt : Ctrl+C

MSG
$PY manage.py runserver "$HOST:$PORT" --noreload
