using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace WsFast.Protocol;

/// <summary>
/// The <c>Sec-WebSocket-Accept</c> value of RFC 6455 section 4.2.2, item 5.4: the base64 of the SHA-1 of the
/// client's key followed by the protocol's GUID. Computed on the stack, without allocating.
/// </summary>
internal static class AcceptKey
{
    /// <summary>The length of every accept value: base64 of a 20-byte SHA-1 hash.</summary>
    public const int Length = 28;

    /// <summary>The longest key accepted; a valid key is always 24 bytes.</summary>
    public const int MaxKeyLength = 128;

    private static ReadOnlySpan<byte> Guid => "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"u8;

    /// <summary>
    /// Writes the accept value for <paramref name="keyUtf8"/> (the key as sent, without surrounding
    /// whitespace) into <paramref name="destination"/> and returns its length, <see cref="Length"/>.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The key is longer than <see cref="MaxKeyLength"/>, or the destination is shorter than <see cref="Length"/>.
    /// </exception>
    public static int Compute(ReadOnlySpan<byte> keyUtf8, Span<byte> destination)
    {
        if (keyUtf8.Length > MaxKeyLength)
        {
            throw new ArgumentException($"A key longer than {MaxKeyLength} bytes is not a WebSocket key.", nameof(keyUtf8));
        }

        if (destination.Length < Length)
        {
            throw new ArgumentException($"The destination must hold {Length} bytes.", nameof(destination));
        }

        Span<byte> input = stackalloc byte[MaxKeyLength + 36];
        keyUtf8.CopyTo(input);
        Guid.CopyTo(input[keyUtf8.Length..]);

        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(input[..(keyUtf8.Length + Guid.Length)], hash);
        Base64.EncodeToUtf8(hash, destination, out _, out int written);
        return written;
    }

    /// <summary>The accept value for <paramref name="key"/> as a string, for logs and tests.</summary>
    /// <exception cref="ArgumentException">The key is not ASCII or is longer than <see cref="MaxKeyLength"/>.</exception>
    public static string Compute(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        Span<byte> keyBytes = stackalloc byte[MaxKeyLength];
        if (key.Length > MaxKeyLength || Ascii.FromUtf16(key, keyBytes, out int length) != System.Buffers.OperationStatus.Done)
        {
            throw new ArgumentException("The key must be at most 128 ASCII characters.", nameof(key));
        }

        Span<byte> accept = stackalloc byte[Length];
        Compute(keyBytes[..length], accept);
        return Encoding.ASCII.GetString(accept);
    }
}
