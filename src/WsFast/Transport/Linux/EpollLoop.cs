using System.Runtime.InteropServices;

namespace WsFast.Transport.Linux;

/// <summary>
/// A thread waiting in <c>epoll_wait</c> for the sockets registered with it, edge-triggered, and signalling their
/// readiness: the connections' loops then continue inline on this thread, receive with one system call per batch
/// of bytes (no peek: epoll said there are bytes) and send their replies there, as uWebSockets' event loop does.
/// </summary>
/// <remarks>
/// Registrations are keyed by a slot and its generation, not by file descriptor: descriptors are reused as soon
/// as they are closed, and an event already returned for a closed socket must reach nobody (or, harmlessly, the
/// same pooled object serving its next client, whose receive then finds nothing and waits again).
/// </remarks>
internal sealed unsafe class EpollLoop
{
    private const int MaxEvents = 256;

    // The key of the loop's own wake-up descriptor: no registration has it (generation 0 is never handed out).
    private const ulong WakeKey = 0;

    private static readonly Lazy<EpollLoop[]> s_loops = new(CreateLoops);
    private static int s_next;

    private readonly int _epoll;
    private readonly int _wake;
    private readonly Lock _lock = new();
    private List<(EpollSocketIo Io, ulong Key)> _deferred = [];
    private List<(EpollSocketIo Io, ulong Key)> _deferredSpare = [];
    private Thread? _thread;
    private EpollSocketIo?[] _slots = new EpollSocketIo?[64];
    private uint[] _generations = new uint[64];
    private int[] _free = new int[64];
    private int _freeCount;
    private int _highWater;

    private EpollLoop(int index)
    {
        _epoll = LibC.EpollCreate(LibC.EpollCloexec);
        if (_epoll < 0)
        {
            throw new InvalidOperationException($"epoll_create1 failed (errno {Marshal.GetLastPInvokeError()}).");
        }

        _wake = LibC.EventFd(0, LibC.EventFdCloexec);
        var watch = new LibC.EpollEvent { Events = LibC.EpollIn, Data = WakeKey };
        if (_wake < 0 || LibC.EpollControl(_epoll, LibC.EpollCtlAdd, _wake, &watch) != 0)
        {
            throw new InvalidOperationException($"The epoll loop's wake-up descriptor failed (errno {Marshal.GetLastPInvokeError()}).");
        }

        _thread = new Thread(Run) { IsBackground = true, Name = $"WsFast epoll {index}" };
        _thread.Start();
    }

    /// <summary>Whether this process can use the epoll transport: Linux on x86-64 (the layout of epoll_event and msghdr here).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    /// <summary>The loop for a new connection, round robin over one loop per processor the process may use.</summary>
    public static EpollLoop Next()
    {
        EpollLoop[] loops = s_loops.Value;
        return loops[(int)((uint)Interlocked.Increment(ref s_next) % (uint)loops.Length)];
    }

    /// <summary>Watches <paramref name="fd"/> for <paramref name="io"/>; returns the key its events carry.</summary>
    public ulong Register(EpollSocketIo io, int fd)
    {
        ulong key;
        lock (_lock)
        {
            int slot;
            if (_freeCount > 0)
            {
                slot = _free[--_freeCount];
            }
            else
            {
                if (_highWater == _slots.Length)
                {
                    Array.Resize(ref _generations, _slots.Length * 2);
                    EpollSocketIo?[] larger = new EpollSocketIo?[_slots.Length * 2];
                    Array.Copy(_slots, larger, _slots.Length);
                    Volatile.Write(ref _slots, larger);
                }

                slot = _highWater++;
            }

            key = ((ulong)++_generations[slot] << 32) | (uint)slot;
            io.Key = key;
            Volatile.Write(ref _slots[slot], io);
        }

        var watch = new LibC.EpollEvent
        {
            Events = LibC.EpollIn | LibC.EpollOut | LibC.EpollRdHup | LibC.EpollEdgeTriggered,
            Data = key,
        };
        if (LibC.EpollControl(_epoll, LibC.EpollCtlAdd, fd, &watch) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            Unregister(key);
            throw new System.Net.Sockets.SocketException((int)LibC.ToSocketError(errno));
        }

        return key;
    }

    /// <summary>
    /// Has <paramref name="io"/> told it is readable again once the loop has served the events it holds now: a
    /// connection that has read its share yields to the others this way, and carries on after them (with an
    /// edge-triggered registration no new edge would come for bytes already waiting).
    /// </summary>
    public void Defer(EpollSocketIo io)
    {
        bool wake;
        lock (_lock)
        {
            _deferred.Add((io, io.Key));
            wake = Thread.CurrentThread != _thread && _deferred.Count == 1;
        }

        if (wake)
        {
            ulong one = 1;
            LibC.Write(_wake, (byte*)&one, sizeof(ulong));
        }
    }

    /// <summary>
    /// Forgets a registration whose socket is closed (closing removed it from epoll): events still on their way
    /// for it reach nobody.
    /// </summary>
    public void Unregister(ulong key)
    {
        int slot = (int)(uint)key;
        lock (_lock)
        {
            if (_slots[slot] is { } io && io.Key == key)
            {
                Volatile.Write(ref _slots[slot], null);
                if (_freeCount == _free.Length)
                {
                    Array.Resize(ref _free, _free.Length * 2);
                }

                _free[_freeCount++] = slot;
            }
        }
    }

    private static EpollLoop[] CreateLoops()
    {
        // One loop per processor the process may run on (taskset counts): a server pinned to one core gets one.
        var loops = new EpollLoop[Math.Max(1, Environment.ProcessorCount)];
        for (int i = 0; i < loops.Length; i++)
        {
            loops[i] = new EpollLoop(i);
        }

        return loops;
    }

    private void Run()
    {
        LibC.EpollEvent* events = (LibC.EpollEvent*)NativeMemory.Alloc(MaxEvents, (nuint)sizeof(LibC.EpollEvent));
        while (true)
        {
            int timeout;
            lock (_lock)
            {
                timeout = _deferred.Count > 0 ? 0 : -1;
            }

            int count = LibC.EpollWait(_epoll, events, MaxEvents, timeout);
            if (count < 0)
            {
                if (LibC.Interrupted(Marshal.GetLastPInvokeError()))
                {
                    continue;
                }

                return; // the epoll descriptor is gone: nothing left to serve
            }

            for (int i = 0; i < count; i++)
            {
                ulong key = events[i].Data;
                if (key == WakeKey)
                {
                    ulong value;
                    LibC.Read(_wake, (byte*)&value, sizeof(ulong));
                    continue;
                }

                EpollSocketIo?[] slots = Volatile.Read(ref _slots);
                int slot = (int)(uint)key;
                EpollSocketIo? io = slot < slots.Length ? Volatile.Read(ref slots[slot]) : null;
                if (io is null || io.Key != key)
                {
                    continue;
                }

                uint ready = events[i].Events;
                if ((ready & (LibC.EpollHup | LibC.EpollErr)) != 0)
                {
                    io.OnFailed();
                    continue;
                }

                if ((ready & LibC.EpollRdHup) != 0)
                {
                    io.OnPeerClosed();
                }
                else if ((ready & LibC.EpollIn) != 0)
                {
                    io.OnReadable();
                }

                if ((ready & LibC.EpollOut) != 0)
                {
                    io.OnWritable();
                }
            }

            RunDeferred();
        }
    }

    // The connections that yielded during this turn carry on, after every event of the turn was served.
    private void RunDeferred()
    {
        List<(EpollSocketIo Io, ulong Key)> deferred;
        lock (_lock)
        {
            if (_deferred.Count == 0)
            {
                return;
            }

            deferred = _deferred;
            _deferred = _deferredSpare;
        }

        foreach ((EpollSocketIo io, ulong key) in deferred)
        {
            if (io.Key == key)
            {
                io.OnReadable();
            }
        }

        deferred.Clear();
        lock (_lock)
        {
            _deferredSpare = deferred;
        }
    }
}
