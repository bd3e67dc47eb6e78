using System.IO.Pipelines;
using Microsoft.Extensions.ObjectPool;

namespace WsFast.Transport;

/// <summary>
/// The connection objects of one listener, together with what each one owns (its receive pipe and its two
/// socket event args), and the block pool the pipes draw from. Counts what is out so that tests can check
/// everything came back.
/// </summary>
internal sealed class SocketConnectionPool
{
    private readonly DefaultObjectPool<SocketConnection> _pool;
    private long _rented;
    private long _returned;

    public SocketConnectionPool(SocketTransportOptions options)
    {
        BlockPool = new PinnedBlockMemoryPool(options.PoisonReturnedBlocks);
        // Reader scheduler: inline, so the reader (and the handler it calls) runs on the receiving thread. With
        // 100 connections ping-ponging 32-byte messages over loopback (2 cores, client in the same process):
        // inline 117-122 k echoes/s, thread pool 120-121 k (the socket completion already hops to the pool on
        // Linux, so the second hop is cheap); with DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1, inline
        // 199 k, thread pool 166 k. Inline also lets a reply queued by the reader be corked with the others of
        // the same receive (see Cork). Writer scheduler: inline; after back-pressure the receive loop resumes on
        // the thread of the reader that freed the space.
        // One options object serves every pipe: idle connections are counted in the tens of thousands.
        PipeOptions = new PipeOptions(
            pool: BlockPool,
            readerScheduler: options.InlineReaderScheduling ? PipeScheduler.Inline : PipeScheduler.ThreadPool,
            writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: options.InputPauseThreshold,
            resumeWriterThreshold: options.InputResumeThreshold,
            minimumSegmentSize: PinnedBlockMemoryPool.BlockSize,
            useSynchronizationContext: false);
        _pool = new DefaultObjectPool<SocketConnection>(
            new SocketConnectionPoolPolicy(this, options), Math.Max(1, options.MaxRetainedConnections));
    }

    /// <summary>The receive memory of every connection of this pool.</summary>
    public PinnedBlockMemoryPool BlockPool { get; }

    /// <summary>The settings of every connection's receive pipe.</summary>
    public PipeOptions PipeOptions { get; }

    /// <summary>Connections handed out and not yet returned.</summary>
    public long InUse => Interlocked.Read(ref _rented) - Interlocked.Read(ref _returned);

    /// <summary>Connections returned since creation.</summary>
    public long ReturnedCount => Interlocked.Read(ref _returned);

    /// <summary>Takes a connection object and starts it on <paramref name="socket"/>.</summary>
    public SocketConnection Rent(System.Net.Sockets.Socket socket)
    {
        SocketConnection connection = _pool.Get();
        Interlocked.Increment(ref _rented);
        try
        {
            connection.Start(socket);
        }
        catch
        {
            // Never started (the epoll loop refused the socket): it goes back as it is.
            socket.Dispose();
            Return(connection);
            throw;
        }

        return connection;
    }

    /// <summary>Called by a connection once it is closed and disposed, exactly once per <see cref="Rent"/>.</summary>
    public void Return(SocketConnection connection)
    {
        Interlocked.Increment(ref _returned);
        _pool.Return(connection);
    }
}
