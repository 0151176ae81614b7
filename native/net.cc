// rackroute's small native addon: what Node cannot do to a TCP socket.
//  - tcpSocket(family): a non-blocking TCP socket fd, so options can be set before connect() (Node creates a
//    client's fd only inside connect()); Node then adopts it with new net.Socket({ fd }).
//  - setMd5(fd, family, address, prefixLength, key): TCP_MD5SIG (RFC 2385) for one peer, or TCP_MD5SIG_EXT with
//    a prefix for a listen range; an empty key removes it. Integer options (IP_TTL, IP_MINTTL) go through the
//    `sockopt` package instead.
#include <napi.h>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

#ifndef TCP_MD5SIG_EXT
#define TCP_MD5SIG_EXT 32
#endif
#ifndef TCP_MD5SIG_FLAG_PREFIX
#define TCP_MD5SIG_FLAG_PREFIX 0x1
#endif

namespace {

Napi::Value Fail(const Napi::Env& env, const std::string& what, int err) {
  Napi::Error e = Napi::Error::New(env, what + ": " + std::strerror(err));
  e.Set("errno", Napi::Number::New(env, err));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value TcpSocket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "tcpSocket(family: 4 | 6)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int family = info[0].As<Napi::Number>().Int32Value() == 6 ? AF_INET6 : AF_INET;
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) return Fail(env, "socket", errno);
  return Napi::Number::New(env, fd);
}

Napi::Value SetMd5(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsString() || !info[3].IsNumber() ||
      !info[4].IsBuffer()) {
    Napi::TypeError::New(env, "setMd5(fd, family, address, prefixLength (-1: one host), key: Buffer)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = info[0].As<Napi::Number>().Int32Value();
  int family = info[1].As<Napi::Number>().Int32Value() == 6 ? AF_INET6 : AF_INET;
  std::string address = info[2].As<Napi::String>().Utf8Value();
  int prefix = info[3].As<Napi::Number>().Int32Value();
  Napi::Buffer<uint8_t> key = info[4].As<Napi::Buffer<uint8_t>>();
  if (key.Length() > TCP_MD5SIG_MAXKEYLEN) {
    Napi::RangeError::New(env, "TCP MD5 keys are at most 80 bytes").ThrowAsJavaScriptException();
    return env.Undefined();
  }

  struct tcp_md5sig sig;
  std::memset(&sig, 0, sizeof sig);
  if (family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&sig.tcpm_addr);
    sin->sin_family = AF_INET;
    if (inet_pton(AF_INET, address.c_str(), &sin->sin_addr) != 1) return Fail(env, "bad IPv4 address " + address, EINVAL);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&sig.tcpm_addr);
    sin6->sin6_family = AF_INET6;
    if (inet_pton(AF_INET6, address.c_str(), &sin6->sin6_addr) != 1) return Fail(env, "bad IPv6 address " + address, EINVAL);
  }
  sig.tcpm_keylen = static_cast<uint16_t>(key.Length());
  std::memcpy(sig.tcpm_key, key.Data(), key.Length());
  int option = TCP_MD5SIG;
  if (prefix >= 0) {
    sig.tcpm_flags = TCP_MD5SIG_FLAG_PREFIX;
    sig.tcpm_prefixlen = static_cast<uint8_t>(prefix);
    option = TCP_MD5SIG_EXT;
  }
  if (setsockopt(fd, IPPROTO_TCP, option, &sig, sizeof sig) != 0) return Fail(env, "setsockopt(TCP_MD5SIG)", errno);
  return env.Undefined();
}

Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  if (info.Length() >= 1 && info[0].IsNumber()) close(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("tcpSocket", Napi::Function::New(env, TcpSocket));
  exports.Set("setMd5", Napi::Function::New(env, SetMd5));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd));
  return exports;
}

}  // namespace

NODE_API_MODULE(rackroute_net, Init)
