using System.Buffers;
using System.Runtime.InteropServices;
using WsFast.Transport;

namespace WsFast.Server;

/// <summary>
/// The end of each received message's life on a connection with
/// <see cref="WsFastServerOptions.PoisonReceiveBuffers"/>: once the handler's call completes, the message's
/// bytes are overwritten and the message itself refuses its payload, so that code keeping it past the handler
/// fails loudly in tests rather than reading another client's bytes later in production.
/// </summary>
internal sealed class MessageLifetime
{
    /// <summary>What the payload of a message whose handler has completed reads.</summary>
    public const byte PoisonByte = PinnedBlockMemoryPool.PoisonByte;

    private int _generation;

    /// <summary>Counts the messages ended: a message made at another count has ended.</summary>
    public int Generation => Volatile.Read(ref _generation);

    /// <summary>Ends the current message: overwrites its payload and makes it refuse access.</summary>
    public void End(in ReadOnlySequence<byte> payload)
    {
        Interlocked.Increment(ref _generation);
        foreach (ReadOnlyMemory<byte> segment in payload)
        {
            // Receive memory the connection owns: nothing reads these bytes any more.
            MemoryMarshal.AsMemory(segment).Span.Fill(PoisonByte);
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public static void ThrowEnded() => throw new ObjectDisposedException(
        nameof(WebSocketMessage),
        "The message was read after its handler completed: its memory has gone back to the server. Keep message.Detach() instead.");
}
