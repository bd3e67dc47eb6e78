using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace WsFast.Protocol;

/// <summary>
/// Reads an HTTP/1.1 request head incrementally and checks it against RFC 7230 and the opening handshake of
/// RFC 6455 section 4.2.1. One reader per connection; after each complete request or refusal it is ready for
/// the next request on the same connection.
/// </summary>
/// <remarks>
/// <para>
/// Call <see cref="TryRead"/> each time bytes arrive, always with a buffer that starts at the first byte of the
/// request (nothing is consumed until the head is complete), as a <c>PipeReader</c> hands it back after
/// <c>AdvanceTo(consumed, examined)</c>. The reader remembers how far it has searched, so each byte is scanned
/// for the end of the head once, however small the pieces; nothing is allocated until the head is complete.
/// </para>
/// <para>
/// Lines must end with CRLF. RFC 7230 section 3.5 lets a recipient also accept a lone LF, but a server that
/// reads line ends differently from a proxy in front of it invites request smuggling, so a lone LF is refused
/// with 400, as soon as it is seen. For the same reason an empty line before the request line is refused
/// rather than skipped.
/// </para>
/// <para>
/// HTTP/1.0 is refused with 400 (<see cref="HandshakeError.ObsoleteHttpVersion"/>): it shares the major
/// version, so 505 (which RFC 7231 section 6.6.6 ties to the major version) would be imprecise, and RFC 6455
/// needs the HTTP/1.1 Upgrade mechanism. Any other major version gets 505. Higher 1.x minor versions are read
/// as HTTP/1.1 (RFC 7230 section 2.6).
/// </para>
/// </remarks>
internal sealed class HandshakeReader
{
    /// <summary>The default limit of <see cref="MaxHeaderBytes"/>: 8 KiB.</summary>
    public const int DefaultMaxHeaderBytes = 8 * 1024;

    /// <summary>The default limit of <see cref="MaxHeaderCount"/>.</summary>
    public const int DefaultMaxHeaderCount = 100;

    // State of the search for the empty line that ends the head, as offsets from the request's first byte.
    private long _scanned;
    private long _lineStart;
    private int _lines;
    private byte _lastByte;

    /// <summary>Creates a reader with the given limits.</summary>
    /// <param name="maxHeaderBytes">
    /// The most bytes the request head (request line, headers and the empty line) may take. Once more than
    /// this many bytes are pending without a complete head, the request is refused with 431.
    /// </param>
    /// <param name="maxHeaderCount">The most header lines a request may have; more are refused with 431.</param>
    /// <param name="recognizeHixie76">
    /// Whether a draft-76 opening handshake (<c>Sec-WebSocket-Key1</c> and <c>Sec-WebSocket-Key2</c>, no
    /// <c>Sec-WebSocket-Version</c>) is returned as <see cref="HandshakeStatus.Hixie76Upgrade"/>; otherwise it is
    /// refused as any upgrade without version 13 is (426).
    /// </param>
    public HandshakeReader(int maxHeaderBytes = DefaultMaxHeaderBytes, int maxHeaderCount = DefaultMaxHeaderCount, bool recognizeHixie76 = false)
    {
        RecognizesHixie76 = recognizeHixie76;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxHeaderBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxHeaderCount);
        MaxHeaderBytes = maxHeaderBytes;
        MaxHeaderCount = maxHeaderCount;
    }

    /// <summary>The most bytes a request head may take.</summary>
    public int MaxHeaderBytes { get; }

    /// <summary>The most header lines a request may have.</summary>
    public int MaxHeaderCount { get; }

    /// <summary>Whether a draft-76 handshake is recognized (see the constructor).</summary>
    public bool RecognizesHixie76 { get; }

    /// <summary>
    /// Looks for a complete request head at the start of <paramref name="buffer"/> and reads it.
    /// </summary>
    /// <param name="buffer">Every byte received since the request began, starting with its first byte.</param>
    /// <param name="consumed">
    /// Where the head ends when a request is returned, so that a body or the first WebSocket frames that came
    /// with it stay unread; the start of <paramref name="buffer"/> otherwise.
    /// </param>
    /// <param name="examined">
    /// The end of <paramref name="buffer"/> while incomplete or refused (wait for more bytes); the same as
    /// <paramref name="consumed"/> when a request is returned.
    /// </param>
    /// <param name="request">The request, for <see cref="HandshakeStatus.Upgrade"/> and <see cref="HandshakeStatus.PlainRequest"/>.</param>
    /// <param name="error">Why the request is refused, for <see cref="HandshakeStatus.Refused"/>.</param>
    /// <exception cref="ArgumentException">The buffer is shorter than what an earlier call was given.</exception>
    public HandshakeStatus TryRead(
        in ReadOnlySequence<byte> buffer,
        out SequencePosition consumed,
        out SequencePosition examined,
        out HandshakeRequest? request,
        out HandshakeError error)
    {
        consumed = buffer.Start;
        examined = buffer.End;
        request = null;

        if (buffer.Length < _scanned)
        {
            throw new ArgumentException("The buffer must start at the request and hold every byte seen before.", nameof(buffer));
        }

        // Never look past the limit: a head that ends beyond it is refused anyway.
        long headLength = FindEndOfHead(buffer, Math.Min(buffer.Length, MaxHeaderBytes), out error);
        if (error == HandshakeError.None && headLength < 0)
        {
            if (buffer.Length <= MaxHeaderBytes)
            {
                return HandshakeStatus.Incomplete;
            }

            error = HandshakeError.HeaderTooLarge;
        }

        int headerCount = _lines - 1;
        Reset();
        if (error != HandshakeError.None)
        {
            return HandshakeStatus.Refused;
        }

        ReadOnlySequence<byte> head = buffer.Slice(0, headLength);
        if (head.IsSingleSegment)
        {
            request = Parse(head.FirstSpan, headerCount, RecognizesHixie76, out error);
        }
        else
        {
            byte[] copy = ArrayPool<byte>.Shared.Rent((int)headLength);
            try
            {
                head.CopyTo(copy);
                request = Parse(copy.AsSpan(0, (int)headLength), headerCount, RecognizesHixie76, out error);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(copy);
            }
        }

        if (request is null)
        {
            return HandshakeStatus.Refused;
        }

        consumed = head.End;
        examined = head.End;
        return request.IsHixie76Upgrade ? HandshakeStatus.Hixie76Upgrade
            : request.IsWebSocketUpgrade ? HandshakeStatus.Upgrade
            : HandshakeStatus.PlainRequest;
    }

    private void Reset()
    {
        _scanned = 0;
        _lineStart = 0;
        _lines = 0;
        _lastByte = 0;
    }

    // Searches the bytes not searched before, up to `limit`, for the empty line. Returns the length of the head
    // including that line, or -1. Lone LFs and too many lines are reported as soon as they are seen.
    private long FindEndOfHead(in ReadOnlySequence<byte> buffer, long limit, out HandshakeError error)
    {
        error = HandshakeError.None;
        if (_scanned >= limit)
        {
            return -1;
        }

        long segmentOffset = _scanned;
        foreach (ReadOnlyMemory<byte> memory in buffer.Slice(_scanned, limit - _scanned))
        {
            ReadOnlySpan<byte> span = memory.Span;
            int i = 0;
            while (i < span.Length)
            {
                int found = span[i..].IndexOf((byte)'\n');
                if (found < 0)
                {
                    break;
                }

                int lf = i + found;
                byte before = lf > 0 ? span[lf - 1] : _lastByte;
                long lineLength = segmentOffset + lf - 1 - _lineStart;
                if (before != (byte)'\r' || (lineLength == 0 && _lines == 0))
                {
                    error = _lines == 0 ? HandshakeError.MalformedRequestLine : HandshakeError.MalformedHeader;
                    return -1;
                }

                if (lineLength == 0)
                {
                    return segmentOffset + lf + 1;
                }

                if (++_lines - 1 > MaxHeaderCount)
                {
                    error = HandshakeError.TooManyHeaders;
                    return -1;
                }

                _lineStart = segmentOffset + lf + 1;
                i = lf + 1;
            }

            if (!span.IsEmpty)
            {
                _lastByte = span[^1];
            }

            segmentOffset += span.Length;
        }

        _scanned = limit;
        return -1;
    }

    // Checks a complete head (which ends with an empty line, and whose every LF follows a CR) and builds the
    // request. Everything is checked on the bytes first, so that a refused request allocates nothing.
    private static HandshakeRequest? Parse(ReadOnlySpan<byte> head, int headerCount, bool recognizeHixie76, out HandshakeError error)
    {
        ReadOnlySpan<byte> rest = head;
        ReadOnlySpan<byte> requestLine = NextLine(ref rest);
        error = ParseRequestLine(requestLine, out ReadOnlySpan<byte> method, out ReadOnlySpan<byte> target);
        if (error != HandshakeError.None)
        {
            return null;
        }

        ReadOnlySpan<byte> headerLines = rest;
        var facts = new HeaderFacts();
        error = CheckHeaders(headerLines, ref facts);
        if (error == HandshakeError.None)
        {
            error = Decide(method, recognizeHixie76, ref facts);
        }

        if (error != HandshakeError.None)
        {
            return null;
        }

        return Build(method, target, headerLines, headerCount, in facts);
    }

    private static HandshakeError ParseRequestLine(
        ReadOnlySpan<byte> line, out ReadOnlySpan<byte> method, out ReadOnlySpan<byte> target)
    {
        method = default;
        target = default;

        // method SP request-target SP HTTP-version, with exactly one space each (RFC 7230 section 3.1.1).
        int firstSpace = line.IndexOf((byte)' ');
        if (firstSpace <= 0)
        {
            return HandshakeError.MalformedRequestLine;
        }

        method = line[..firstSpace];
        ReadOnlySpan<byte> afterMethod = line[(firstSpace + 1)..];
        int secondSpace = afterMethod.IndexOf((byte)' ');
        if (secondSpace <= 0 || !HandshakeSyntax.IsToken(method))
        {
            return HandshakeError.MalformedRequestLine;
        }

        target = afterMethod[..secondSpace];
        ReadOnlySpan<byte> version = afterMethod[(secondSpace + 1)..];
        if (version.Length != 8 || !version.StartsWith("HTTP/"u8) || !char.IsAsciiDigit((char)version[5])
            || version[6] != (byte)'.' || !char.IsAsciiDigit((char)version[7]))
        {
            return HandshakeError.MalformedRequestLine;
        }

        if (version[5] != (byte)'1')
        {
            return HandshakeError.UnsupportedHttpVersion;
        }

        if (version[7] == (byte)'0')
        {
            return HandshakeError.ObsoleteHttpVersion;
        }

        // origin-form only: absolute-form is for proxies and authority-form for CONNECT. Visible ASCII, no
        // fragment (RFC 7230 section 5.3.1).
        if (target[0] != (byte)'/' || target.ContainsAnyExceptInRange((byte)0x21, (byte)0x7E) || target.Contains((byte)'#'))
        {
            return HandshakeError.InvalidRequestTarget;
        }

        return HandshakeError.None;
    }

    // What the checks of section 4.2.1 need to know about the headers, gathered without allocating.
    private struct HeaderFacts
    {
        public int HostCount;
        public bool UpgradeWebSocket;
        public bool ConnectionUpgrade;
        public int VersionCount;
        public bool Version13;
        public int KeyCount;
        public bool KeyValid;
        public int ContentLengthCount;
        public long ContentLength;
        public bool ContentLengthValid;
        public bool TransferEncoding;
        public bool SubprotocolsValid;
        public bool ExtensionsValid;
        public int Key1Count;           // draft-76's Sec-WebSocket-Key1
        public int Key2Count;
        public bool Hixie76;            // decided: a draft-76 handshake
    }

    private static HandshakeError CheckHeaders(ReadOnlySpan<byte> lines, ref HeaderFacts facts)
    {
        facts.SubprotocolsValid = true;
        facts.ExtensionsValid = true;
        while (true)
        {
            ReadOnlySpan<byte> line = NextLine(ref lines);
            if (line.IsEmpty)
            {
                return HandshakeError.None;
            }

            if (HandshakeSyntax.IsWhitespace(line[0]))
            {
                return HandshakeError.ObsoleteLineFolding;
            }

            // The name is a token right up to the colon: whitespace before the colon fails here, as
            // RFC 7230 section 3.2.4 requires.
            int colon = line.IndexOf((byte)':');
            if (colon < 0 || !HandshakeSyntax.IsToken(line[..colon]))
            {
                return HandshakeError.MalformedHeader;
            }

            ReadOnlySpan<byte> name = line[..colon];
            ReadOnlySpan<byte> value = HandshakeSyntax.TrimWhitespace(line[(colon + 1)..]);
            if (!HandshakeSyntax.IsFieldValue(value))
            {
                return HandshakeError.MalformedHeader;
            }

            Note(name, value, ref facts);
        }
    }

    private static void Note(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, ref HeaderFacts facts)
    {
        if (Ascii.EqualsIgnoreCase(name, "Host"u8))
        {
            facts.HostCount++;
        }
        else if (Ascii.EqualsIgnoreCase(name, "Upgrade"u8))
        {
            facts.UpgradeWebSocket |= HandshakeSyntax.ListContains(value, "websocket"u8);
        }
        else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
        {
            facts.ConnectionUpgrade |= HandshakeSyntax.ListContains(value, "Upgrade"u8);
        }
        else if (Ascii.EqualsIgnoreCase(name, "Sec-WebSocket-Version"u8))
        {
            facts.VersionCount++;
            facts.Version13 = value.SequenceEqual("13"u8);
        }
        else if (Ascii.EqualsIgnoreCase(name, "Sec-WebSocket-Key"u8))
        {
            facts.KeyCount++;
            facts.KeyValid = IsValidKey(value);
        }
        else if (Ascii.EqualsIgnoreCase(name, "Sec-WebSocket-Key1"u8))
        {
            facts.Key1Count++;
        }
        else if (Ascii.EqualsIgnoreCase(name, "Sec-WebSocket-Key2"u8))
        {
            facts.Key2Count++;
        }
        else if (Ascii.EqualsIgnoreCase(name, "Sec-WebSocket-Protocol"u8))
        {
            facts.SubprotocolsValid &= HandshakeSyntax.IsTokenList(value);
        }
        else if (Ascii.EqualsIgnoreCase(name, "Sec-WebSocket-Extensions"u8))
        {
            facts.ExtensionsValid &= ExtensionOffer.TryParse(value, null);
        }
        else if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
        {
            // Only a plain decimal number; a list, even of equal values, is refused (RFC 7230 section 3.3.2
            // allows either), and so is a repeated header.
            facts.ContentLengthCount++;
            facts.ContentLengthValid = value.Length is > 0 and <= 18 && !value.ContainsAnyExceptInRange((byte)'0', (byte)'9');
            if (facts.ContentLengthValid)
            {
                facts.ContentLength = long.Parse(value, provider: System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
        {
            facts.TransferEncoding = true;
        }
    }

    // 16 bytes in base64 are always 24 characters, the last two of them padding.
    private static bool IsValidKey(ReadOnlySpan<byte> value)
    {
        if (value.Length != 24)
        {
            return false;
        }

        Span<byte> decoded = stackalloc byte[18];
        return Base64.DecodeFromUtf8(value, decoded, out _, out int written) == OperationStatus.Done && written == 16;
    }

    // The order of RFC 6455 section 4.2.1 after the HTTP-level checks; a request without both Upgrade and
    // Connection: Upgrade is no upgrade attempt at all, and stays a plain request.
    private static HandshakeError Decide(ReadOnlySpan<byte> method, bool recognizeHixie76, ref HeaderFacts facts)
    {
        if (facts.HostCount == 0)
        {
            return HandshakeError.MissingHost;
        }

        if (facts.HostCount > 1)
        {
            return HandshakeError.DuplicateHost;
        }

        if (facts.ContentLengthCount > 1 || (facts.ContentLengthCount == 1 && !facts.ContentLengthValid))
        {
            return HandshakeError.InvalidContentLength;
        }

        // A body this reader cannot delimit must not be mistaken for the next request (RFC 7230 section 3.3.3).
        if (facts.TransferEncoding)
        {
            return HandshakeError.UnsupportedTransferEncoding;
        }

        if (!facts.UpgradeWebSocket || !facts.ConnectionUpgrade)
        {
            return HandshakeError.None;
        }

        if (!method.SequenceEqual("GET"u8))
        {
            return HandshakeError.MethodNotAllowed;
        }

        if (recognizeHixie76 && facts.VersionCount == 0 && facts.KeyCount == 0 && facts.Key1Count == 1 && facts.Key2Count == 1)
        {
            // draft-hixie-thewebsocketprotocol-76 section 4.1: no version header, two keys and 8 bytes after the
            // head. The keys themselves are judged once the endpoint is known to speak the draft (section 5.2).
            facts.Hixie76 = true;
            return facts.SubprotocolsValid ? HandshakeError.None : HandshakeError.InvalidSubprotocol;
        }

        if (facts.VersionCount != 1 || !facts.Version13)
        {
            return HandshakeError.UnsupportedVersion;
        }

        if (facts.KeyCount == 0)
        {
            return HandshakeError.MissingKey;
        }

        if (facts.KeyCount > 1)
        {
            return HandshakeError.DuplicateKey;
        }

        if (!facts.KeyValid)
        {
            return HandshakeError.InvalidKey;
        }

        if (!facts.SubprotocolsValid)
        {
            return HandshakeError.InvalidSubprotocol;
        }

        return facts.ExtensionsValid ? HandshakeError.None : HandshakeError.InvalidExtensions;
    }

    private static HandshakeRequest Build(
        ReadOnlySpan<byte> method,
        ReadOnlySpan<byte> target,
        ReadOnlySpan<byte> lines,
        int headerCount,
        in HeaderFacts facts)
    {
        bool upgrade = facts.UpgradeWebSocket && facts.ConnectionUpgrade;
        var headers = new KeyValuePair<string, string>[headerCount];
        string host = "";
        string? origin = null;
        string key = "";
        string? key1 = null;
        string? key2 = null;
        List<string>? subprotocols = null;

        for (int h = 0; h < headers.Length; h++)
        {
            ReadOnlySpan<byte> line = NextLine(ref lines);
            int colon = line.IndexOf((byte)':');
            ReadOnlySpan<byte> nameBytes = line[..colon];
            ReadOnlySpan<byte> valueBytes = HandshakeSyntax.TrimWhitespace(line[(colon + 1)..]);
            string name = HandshakeStrings.HeaderName(nameBytes);
            string value = Encoding.Latin1.GetString(valueBytes);
            headers[h] = new KeyValuePair<string, string>(name, value);

            if (Ascii.EqualsIgnoreCase(nameBytes, "Host"u8))
            {
                host = value;
            }
            else if (Ascii.EqualsIgnoreCase(nameBytes, "Origin"u8))
            {
                origin ??= value;
            }
            else if (!upgrade)
            {
                continue;
            }
            else if (Ascii.EqualsIgnoreCase(nameBytes, "Sec-WebSocket-Key"u8))
            {
                key = value;
            }
            else if (facts.Hixie76 && Ascii.EqualsIgnoreCase(nameBytes, "Sec-WebSocket-Key1"u8))
            {
                key1 = value;
            }
            else if (facts.Hixie76 && Ascii.EqualsIgnoreCase(nameBytes, "Sec-WebSocket-Key2"u8))
            {
                key2 = value;
            }
            else if (Ascii.EqualsIgnoreCase(nameBytes, "Sec-WebSocket-Protocol"u8))
            {
                while (!valueBytes.IsEmpty)
                {
                    ReadOnlySpan<byte> element = HandshakeSyntax.NextListElement(ref valueBytes);
                    if (!element.IsEmpty)
                    {
                        (subprotocols ??= new List<string>(2)).Add(Encoding.ASCII.GetString(element));
                    }
                }
            }
        }

        int queryStart = target.IndexOf((byte)'?');
        return new HandshakeRequest(
            HandshakeStrings.Method(method),
            Encoding.ASCII.GetString(queryStart < 0 ? target : target[..queryStart]),
            queryStart < 0 ? "" : Encoding.ASCII.GetString(target[(queryStart + 1)..]),
            headers,
            host,
            origin,
            key,
            subprotocols is null ? Array.Empty<string>() : subprotocols.AsReadOnly(),
            facts.ContentLengthCount == 1 ? facts.ContentLength : null,
            upgrade ? HandshakeError.None
                : facts.UpgradeWebSocket ? HandshakeError.MissingConnectionUpgrade : HandshakeError.MissingUpgrade,
            key1,
            key2);
    }

    // The line up to the next CRLF, without it; the head always ends with one.
    private static ReadOnlySpan<byte> NextLine(ref ReadOnlySpan<byte> rest)
    {
        int end = rest.IndexOf("\r\n"u8);
        ReadOnlySpan<byte> line = rest[..end];
        rest = rest[(end + 2)..];
        return line;
    }
}
