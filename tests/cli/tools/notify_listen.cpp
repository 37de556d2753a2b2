// The service manager's end of the sd_notify protocol, for cli/notify_test.sh: binds a datagram
// socket at PATH and prints each message it receives (one variable per line, then "--") until a
// message holds STOPPING=1 or SECONDS pass. Exit 0 after STOPPING=1, 1 on the timeout.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: notify_listen PATH SECONDS\n");
        return 64;
    }
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (std::strlen(argv[1]) >= sizeof(address.sun_path)) {
        std::fprintf(stderr, "notify_listen: path too long\n");
        return 64;
    }
    std::strcpy(address.sun_path, argv[1]);
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
        std::perror("notify_listen: bind");
        return 71;
    }
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(std::atoi(argv[2]));
    char buffer[4096];
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            break;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
            continue;
        const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
        if (n <= 0)
            continue;
        const std::string message(buffer, static_cast<std::size_t>(n));
        std::printf("%s\n--\n", message.c_str());
        std::fflush(stdout);
        if (message.find("STOPPING=1") != std::string::npos) {
            ::close(fd);
            return 0;
        }
    }
    ::close(fd);
    return 1;
}
