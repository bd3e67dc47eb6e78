using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace WsFast.Transport.Linux;

/// <summary>The few system calls the epoll transport makes itself, with the constants and layouts of Linux x86-64.</summary>
internal static unsafe partial class LibC
{
    public const int EpollCloexec = 0x80000;
    public const int EpollCtlAdd = 1;
    public const int EpollCtlDel = 2;

    public const uint EpollIn = 0x001;
    public const uint EpollOut = 0x004;
    public const uint EpollErr = 0x008;
    public const uint EpollHup = 0x010;
    public const uint EpollRdHup = 0x2000;
    public const uint EpollEdgeTriggered = 1u << 31;

    public const int MsgNoSignal = 0x4000;

    private const int FGetFl = 3;
    private const int FSetFl = 4;
    private const int ONonBlock = 0x800;
    public const int EventFdCloexec = 0x80000;

    private const int EIntr = 4;
    private const int EAgain = 11;

    private const string Library = "libc";

    /// <summary>struct epoll_event, packed on x86-64.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }

    /// <summary>struct iovec.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IoVector
    {
        public byte* Base;
        public nuint Length;
    }

    /// <summary>struct msghdr.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public IoVector* Vectors;
        public nuint VectorCount;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [LibraryImport(Library, EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate(int flags);

    [LibraryImport(Library, EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int EpollControl(int epoll, int operation, int fd, EpollEvent* @event);

    [LibraryImport(Library, EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(int epoll, EpollEvent* events, int maxEvents, int timeout);

    [LibraryImport(Library, EntryPoint = "recv", SetLastError = true)]
    public static partial nint Receive(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport(Library, EntryPoint = "send", SetLastError = true)]
    public static partial nint Send(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport(Library, EntryPoint = "sendmsg", SetLastError = true)]
    public static partial nint SendMessage(int fd, MessageHeader* message, int flags);

    // fcntl is variadic; on x86-64 its integer argument travels in the same register either way.
    [LibraryImport(Library, EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);

    /// <summary>Makes <paramref name="fd"/> non-blocking; false (errno set) on failure.</summary>
    public static bool SetNonBlocking(int fd)
    {
        int flags = Fcntl(fd, FGetFl, 0);
        return flags >= 0 && ((flags & ONonBlock) != 0 || Fcntl(fd, FSetFl, flags | ONonBlock) == 0);
    }

    [LibraryImport(Library, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initialValue, int flags);

    [LibraryImport(Library, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nuint count);

    [LibraryImport(Library, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nuint count);

    /// <summary>Whether the last call failed because it would have blocked; retries itself after EINTR.</summary>
    public static bool WouldBlock(int errno) => errno == EAgain;

    /// <summary>Whether the last call was interrupted by a signal and should simply be made again.</summary>
    public static bool Interrupted(int errno) => errno == EIntr;

    /// <summary>The <see cref="SocketError"/> of an errno value, as the runtime's sockets report it.</summary>
    public static SocketError ToSocketError(int errno) => errno switch
    {
        9 => SocketError.OperationAborted,       // EBADF: closed under us
        32 => SocketError.Shutdown,              // EPIPE
        103 => SocketError.ConnectionAborted,    // ECONNABORTED
        104 => SocketError.ConnectionReset,      // ECONNRESET
        107 => SocketError.NotConnected,         // ENOTCONN
        110 => SocketError.TimedOut,             // ETIMEDOUT
        113 => SocketError.HostUnreachable,      // EHOSTUNREACH
        _ => SocketError.SocketError,
    };
}
