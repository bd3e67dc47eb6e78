namespace WsFast.Server;

/// <summary>One message of a topic as a shared broker carries it, live or from its history.</summary>
/// <param name="Sequence">The topic's sequence number, global across servers.</param>
/// <param name="Type">Text or binary.</param>
/// <param name="ExceptConnection">The id of a connection of this server that must not get it (the one that published it), or 0.</param>
/// <param name="Payload">The message's bytes.</param>
internal readonly record struct BrokerEntry(long Sequence, MessageType Type, long ExceptConnection, ReadOnlyMemory<byte> Payload);

/// <summary>What a shared broker holds of a topic: its epoch, its last sequence number, and the history after a cursor.</summary>
/// <param name="Epoch">The topic's epoch in the broker (a new one when the broker lost the topic).</param>
/// <param name="LastSequence">The last sequence number the broker gave in that epoch.</param>
/// <param name="Entries">The history after the cursor read from, oldest first (all of it for a cursor of another epoch).</param>
internal sealed record BrokerSnapshot(long Epoch, long LastSequence, IReadOnlyList<BrokerEntry> Entries);

/// <summary>What <see cref="Topic.TryAppend"/> did with a live message of a shared broker.</summary>
internal enum AppendResult : byte
{
    /// <summary>It was the next one: delivered and kept.</summary>
    Appended,
    /// <summary>Delivered before (a resync read it from the history first): dropped, never delivered twice.</summary>
    Duplicate,
    /// <summary>Messages are missing before it, or its epoch is another: the topic must be read again from the broker.</summary>
    OutOfOrder,
}
