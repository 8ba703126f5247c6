"""Starts two CPU ranks of `golfc train` by hand, as torchrun would (RANK,
WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT), kills rank 1 with SIGKILL
once rank 0 has logged a step, and checks that rank 0 stops by itself,
promptly, with exit code 1 and a line naming the dead rank.

usage: rank_death.py GOLFC RUN_DIR -- TRAIN_ARGS...
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def logged_steps(path):
    try:
        with open(path) as f:
            return sum(1 for line in f if json.loads(line).get("event") == "step")
    except (OSError, ValueError):
        return 0


def main():
    golfc, run_dir = sys.argv[1], sys.argv[2]
    args = sys.argv[sys.argv.index("--") + 1:]
    port = free_port()
    ranks = []
    for rank in (0, 1):
        env = dict(os.environ, RANK=str(rank), WORLD_SIZE="2", LOCAL_RANK=str(rank),
                   MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
        ranks.append(subprocess.Popen([golfc, "train", *args, "--run-dir", run_dir], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
    deadline = time.time() + 120
    while logged_steps(os.path.join(run_dir, "log.jsonl")) < 2:
        if time.time() > deadline or any(p.poll() is not None for p in ranks):
            sys.exit("rank_death: the ranks did not train two steps")
        time.sleep(0.05)
    ranks[1].send_signal(signal.SIGKILL)
    killed = time.time()
    try:
        _, err = ranks[0].communicate(timeout=30)
    except subprocess.TimeoutExpired:
        ranks[0].kill()
        sys.exit("rank_death: rank 0 still runs 30 s after rank 1 died")
    print(f"rank 0 exit {ranks[0].returncode} after {time.time() - killed:.1f} s")
    sys.stdout.write(err)


if __name__ == "__main__":
    main()
