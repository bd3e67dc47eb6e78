using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace WsFast.Protocol.Hixie76;

/// <summary>
/// The server's side of the draft-76 opening handshake (draft-hixie-thewebsocketprotocol-76 section 5.2): the
/// numbers hidden in <c>Sec-WebSocket-Key1</c> and <c>Sec-WebSocket-Key2</c>, the MD5 answer to them and the 8
/// bytes (key3) that follow the request head, and the 101 response that carries it.
/// </summary>
/// <remarks>
/// The answer proves to the client that the server read a WebSocket handshake (section 1.3): it is a challenge,
/// not a security mechanism. MD5 is what the draft prescribes; nothing here relies on its strength.
/// </remarks>
internal static class Hixie76Handshake
{
    /// <summary>The bytes the client sends after its request head (section 4.1, step 26: /key_3/).</summary>
    public const int Key3Length = 8;

    /// <summary>The length of the answer that ends the response: an MD5 digest.</summary>
    public const int AnswerLength = 16;

    /// <summary>
    /// Section 5.2, step 4: the digits of <paramref name="key"/> read as one decimal number, divided by the
    /// count of spaces in it. The other characters are noise the client inserted.
    /// </summary>
    public static Hixie76KeyError TryReadKey(ReadOnlySpan<char> key, out uint quotient)
    {
        quotient = 0;
        ulong number = 0;
        int digits = 0;
        uint spaces = 0;
        foreach (char c in key)
        {
            if (char.IsAsciiDigit(c))
            {
                number = number * 10 + (uint)(c - '0');
                digits++;
                if (number > uint.MaxValue)
                {
                    // A client picks the number as quotient times spaces within 32 bits (section 4.1, step 17).
                    return Hixie76KeyError.Overflow;
                }
            }
            else if (c == ' ')
            {
                spaces++;
            }
        }

        if (digits == 0)
        {
            return Hixie76KeyError.NoDigits;
        }

        if (spaces == 0)
        {
            return Hixie76KeyError.NoSpaces;
        }

        if (number % spaces != 0)
        {
            return Hixie76KeyError.NotMultiple;
        }

        quotient = (uint)(number / spaces);
        return Hixie76KeyError.None;
    }

    /// <summary>
    /// Section 5.2, step 6: the MD5 of the two quotients as big-endian 32-bit numbers followed by key3, written
    /// to <paramref name="answer"/> (16 bytes).
    /// </summary>
    public static void WriteAnswer(uint quotient1, uint quotient2, ReadOnlySpan<byte> key3, Span<byte> answer)
    {
        if (key3.Length != Key3Length)
        {
            throw new ArgumentException("key3 is 8 bytes.", nameof(key3));
        }

        Span<byte> challenge = stackalloc byte[8 + Key3Length];
        BinaryPrimitives.WriteUInt32BigEndian(challenge, quotient1);
        BinaryPrimitives.WriteUInt32BigEndian(challenge[4..], quotient2);
        key3.CopyTo(challenge[8..]);
        MD5.HashData(challenge, answer);
    }

    /// <summary>
    /// The 101 response of section 5.2: the fixed status line and headers, <c>Sec-WebSocket-Origin</c> (the
    /// client's <c>Origin</c>, which the client compares exactly), <c>Sec-WebSocket-Location</c> (<c>ws://</c>,
    /// the <c>Host</c> and the resource name as requested), the subprotocol if one was selected, the empty line,
    /// and the answer. False if <paramref name="destination"/> is too small.
    /// </summary>
    /// <remarks>
    /// The origin, host and target come from a request whose header values were checked to hold no CR, LF or
    /// other control characters, so they cannot end a header line here.
    /// </remarks>
    public static bool TryWriteResponse(
        string origin,
        string host,
        string resource,
        string? subProtocol,
        ReadOnlySpan<byte> answer,
        Span<byte> destination,
        out int written)
    {
        written = 0;
        var writer = new Hixie76TextWriter(destination);
        writer.Append("HTTP/1.1 101 WebSocket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\nSec-WebSocket-Origin: ");
        writer.Append(origin);
        writer.Append("\r\nSec-WebSocket-Location: ws://");
        writer.Append(host);
        writer.Append(resource);
        if (subProtocol is not null)
        {
            writer.Append("\r\nSec-WebSocket-Protocol: ");
            writer.Append(subProtocol);
        }

        writer.Append("\r\n\r\n");
        writer.Append(answer);
        if (writer.Overflowed)
        {
            return false;
        }

        written = writer.Length;
        return true;
    }

    // Latin-1 in, bytes out: header strings were made from the received bytes as Latin-1, so this gives the
    // client back exactly the bytes it sent.
    private ref struct Hixie76TextWriter(Span<byte> destination)
    {
        private readonly Span<byte> _destination = destination;

        public int Length { get; private set; }

        public bool Overflowed { get; private set; }

        public void Append(string text)
        {
            if (Overflowed || _destination.Length - Length < text.Length)
            {
                Overflowed = true;
                return;
            }

            Length += Encoding.Latin1.GetBytes(text, _destination[Length..]);
        }

        public void Append(ReadOnlySpan<byte> bytes)
        {
            if (Overflowed || _destination.Length - Length < bytes.Length)
            {
                Overflowed = true;
                return;
            }

            bytes.CopyTo(_destination[Length..]);
            Length += bytes.Length;
        }
    }
}
