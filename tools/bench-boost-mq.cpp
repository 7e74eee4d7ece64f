// SPDX-License-Identifier: MIT
// xipc-bench-boost-mq: Boost.Interprocess message_queue measured the way
// xipc-bench measures xipc's queues (tools/bench-mq.c), for the same table:
// queues of 10 messages of 64 bytes, the child started with xipc_spawn.
//
//   xipc-bench-boost-mq <pingpongs> <msgs>        prints "<median rtt ns> <msgs per s>"
//   xipc-bench-boost-mq --child <ping> <pong> <pingpong|sink> <count>
#include <boost/interprocess/ipc/message_queue.hpp>
#include <xipc.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace bip = boost::interprocess;

static const std::size_t msg_size = 64;
static const std::size_t depth = 10;

static int child(const char *ping_name, const char *pong_name, const char *mode, int count) {
  bip::message_queue ping(bip::open_only, ping_name), pong(bip::open_only, pong_name);
  char msg[msg_size];
  std::size_t got;
  unsigned prio;
  bool echo = std::strcmp(mode, "pingpong") == 0;
  std::memset(msg, 'r', sizeof msg);
  if (!echo)
    pong.send(msg, sizeof msg, 0); // ready: its start-up is not timed
  for (int i = 0; i < count; i++) {
    ping.receive(msg, sizeof msg, got, prio);
    if (echo)
      pong.send(msg, sizeof msg, 0);
  }
  if (!echo)
    pong.send(msg, sizeof msg, 0);
  return 0;
}

// One measurement on a fresh pair of queues; returns the child's exit code.
template <typename Body> static int with_child(const char *mode, int count, Body body) {
  static int serial;
  char exe[4096], count_str[16];
  std::string base =
      "xipc-bench-boost-" + std::to_string(xipc_self_pid()) + "-" + std::to_string(++serial);
  std::string ping_name = base + "-ping", pong_name = base + "-pong";
  bip::message_queue::remove(ping_name.c_str());
  bip::message_queue::remove(pong_name.c_str());
  bip::message_queue ping(bip::create_only, ping_name.c_str(), depth, msg_size);
  bip::message_queue pong(bip::create_only, pong_name.c_str(), depth, msg_size);
  std::snprintf(count_str, sizeof count_str, "%d", count);
  if (xipc_self_exe(exe, sizeof exe) < 0)
    return -1;
  const char *argv[] = {exe,       "--child", ping_name.c_str(), pong_name.c_str(), mode,
                        count_str, nullptr};
  xipc_spawn_options_t opts;
  std::memset(&opts, 0, sizeof opts);
  opts.argv = argv;
  xipc_process_t *proc;
  if (xipc_spawn(&proc, &opts) < 0)
    return -1;
  body(ping, pong);
  xipc_exit_t status;
  int rc = xipc_process_wait(proc, 60000, &status);
  xipc_process_close(proc);
  bip::message_queue::remove(ping_name.c_str());
  bip::message_queue::remove(pong_name.c_str());
  return rc == 0 ? status.code : -1;
}

int main(int argc, char **argv) {
  if (argc == 6 && std::strcmp(argv[1], "--child") == 0)
    return child(argv[2], argv[3], argv[4], std::atoi(argv[5]));
  if (argc != 3) {
    std::fprintf(stderr, "usage: xipc-bench-boost-mq <pingpongs> <msgs>\n");
    return 2;
  }
  int pingpongs = std::atoi(argv[1]), msgs = std::atoi(argv[2]);
  std::vector<uint64_t> times((std::size_t)pingpongs);
  char msg[msg_size];
  std::memset(msg, 'q', sizeof msg);
  int rc =
      with_child("pingpong", pingpongs, [&](bip::message_queue &ping, bip::message_queue &pong) {
        std::size_t got;
        unsigned prio;
        for (int i = 0; i < pingpongs; i++) {
          uint64_t start = xipc_time_ns();
          ping.send(msg, sizeof msg, 0);
          pong.receive(msg, sizeof msg, got, prio);
          times[(std::size_t)i] = xipc_time_ns() - start;
        }
      });
  if (rc != 0)
    return 1;
  std::sort(times.begin(), times.end());
  double rate = 0;
  rc = with_child("sink", msgs, [&](bip::message_queue &ping, bip::message_queue &pong) {
    std::size_t got;
    unsigned prio;
    pong.receive(msg, sizeof msg, got, prio); // the child is ready
    uint64_t start = xipc_time_ns();
    for (int i = 0; i < msgs; i++)
      ping.send(msg, sizeof msg, 0);
    pong.receive(msg, sizeof msg, got, prio);
    rate = (double)msgs * 1e9 / (double)(xipc_time_ns() - start);
  });
  if (rc != 0)
    return 1;
  std::printf("%llu %.0f\n", (unsigned long long)times[(std::size_t)pingpongs / 2], rate);
  return 0;
}
