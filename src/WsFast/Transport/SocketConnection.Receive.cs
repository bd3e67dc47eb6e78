using System.IO.Pipelines;
using System.Net.Sockets;

namespace WsFast.Transport;

internal sealed partial class SocketConnection
{
    // Bytes that arrive after the reader of Input completed are read into this and dropped. Shared by every
    // connection: nobody reads it, so concurrent writes do not matter.
    private static readonly byte[] s_discardBuffer = GC.AllocateUninitializedArray<byte>(PinnedBlockMemoryPool.BlockSize, pinned: true);

    private async Task ReceiveLoopAsync()
    {
        PipeWriter writer = _input.Writer;
        SocketError error = SocketError.Success;
        bool readerCompleted = false;
        try
        {
            bool waitForData = true;
            while (true)
            {
                // An idle connection holds no pipe memory: wait for data first (a zero-byte receive, or the epoll
                // loop's word), and rent a block only once bytes are there. After a receive that filled its block
                // more is probably waiting, so receive straight away, into a large block: one system call takes
                // what sixteen small ones would (see PinnedBlockMemoryPool), where the unread-input bound leaves
                // room for it (SocketTransportOptions.LargeReceives). For small messages every receive is short,
                // so this is the same as always waiting into a small block.
                if (waitForData || _options.AlwaysWaitForData)
                {
                    error = await _io.WaitForDataAsync();
                    if (error != SocketError.Success)
                    {
                        break;
                    }
                }

                Memory<byte> memory = writer.GetMemory(waitForData || !_options.LargeReceives ? 0 : PinnedBlockMemoryPool.LargeBlockSize);
                error = await _io.ReceiveAsync(memory);
                if (error != SocketError.Success)
                {
                    break;
                }

                int received = _io.BytesReceived;
                if (received == 0)
                {
                    break;
                }

                writer.Advance(received);
                waitForData = received < memory.Length;

                Cork();
                ValueTask<FlushResult> flushing = writer.FlushAsync();
                Uncork();
                FlushResult flush = await flushing.ConfigureAwait(false);
                if (flush.IsCompleted)
                {
                    readerCompleted = true;
                    break;
                }
            }
        }
        catch (ObjectDisposedException)
        {
            error = SocketError.OperationAborted;
        }

        // A local close (Abort, linger timeout) shows up here as OperationAborted; it completes the input without
        // an exception, like a FIN. Anything else is the socket failing, including a failure the send loop saw.
        if (error is not (SocketError.Success or SocketError.OperationAborted))
        {
            RecordFailure(error);
        }

        error = (SocketError)Volatile.Read(ref _failure);
        bool failed = error != SocketError.Success;
        await writer.CompleteAsync(failed ? new SocketException((int)error) : null).ConfigureAwait(false);

        if (readerCompleted)
        {
            failed = await DiscardUntilClosedAsync() is not (SocketError.Success or SocketError.OperationAborted);
        }

        if (failed)
        {
            Abort(Id);
        }

        await EndAsync().ConfigureAwait(false);
    }

    // Awaited inline by the receive loop: it completes synchronously in the common case and otherwise shares no
    // state with it, so it costs one state machine only for connections that really linger.
    private async ValueTask<SocketError> DiscardUntilClosedAsync()
    {
        try
        {
            while (true)
            {
                SocketError error = await _io.ReceiveAsync(s_discardBuffer);
                if (error != SocketError.Success || _io.BytesReceived == 0)
                {
                    return error;
                }
            }
        }
        catch (ObjectDisposedException)
        {
            return SocketError.OperationAborted;
        }
    }
}
