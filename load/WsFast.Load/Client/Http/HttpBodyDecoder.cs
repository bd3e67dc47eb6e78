using System.Buffers;
using WsFast.Load.Engine;

namespace WsFast.Load.Client.Http;

/// <summary>
/// Takes a response body off the wire as it arrives, in any pieces: exactly Content-Length bytes, chunked
/// transfer coding (RFC 9112 section 7.1: hex size line with optional extensions, data, CRLF, ..., a zero
/// chunk and trailer fields), or, with neither, everything until the server closes the connection.
/// </summary>
public sealed class HttpBodyDecoder
{
    private readonly Mode _mode;
    private long _remaining; // Content-Length: body bytes left; chunked: bytes left of the current chunk
    private State _state = State.SizeLine;
    private bool _sizeDigits;
    private bool _sizeEnded; // past the digits: extensions or whitespace until the line ends
    private bool _lineEmpty = true; // trailer section: nothing yet on the current line

    private HttpBodyDecoder(Mode mode, long contentLength)
    {
        _mode = mode;
        _remaining = contentLength;
        IsComplete = mode == Mode.Length && contentLength == 0;
    }

    private enum Mode
    {
        Length,
        Chunked,
        UntilClose,
    }

    private enum State
    {
        SizeLine,
        Data,
        DataEnd,
        Trailer,
    }

    /// <summary>True once the whole body has been taken.</summary>
    public bool IsComplete { get; private set; }

    /// <summary>True when the body ends only with the connection (neither a length nor chunks).</summary>
    public bool EndsAtClose => _mode == Mode.UntilClose;

    /// <summary>The decoder for the body that follows <paramref name="head"/>.</summary>
    public static HttpBodyDecoder For(HttpResponseHead head)
    {
        ArgumentNullException.ThrowIfNull(head);
        if (head.Status is 204 or 304 || head.Status < 200)
        {
            return new HttpBodyDecoder(Mode.Length, 0);
        }

        if (head.IsChunked)
        {
            return new HttpBodyDecoder(Mode.Chunked, 0);
        }

        return head.ContentLength is long length ? new HttpBodyDecoder(Mode.Length, length) : new HttpBodyDecoder(Mode.UntilClose, 0);
    }

    /// <summary>
    /// Takes what it can of <paramref name="input"/>, writing body bytes to <paramref name="body"/>; returns
    /// the bytes consumed, which stop at the body's end (what follows is the next response).
    /// </summary>
    /// <exception cref="WsClientException">The chunked framing is malformed.</exception>
    public int Decode(ReadOnlySpan<byte> input, IBufferWriter<byte> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        switch (_mode)
        {
            case Mode.UntilClose:
                body.Write(input);
                return input.Length;
            case Mode.Length:
                int take = (int)Math.Min(_remaining, input.Length);
                body.Write(input.Slice(0, take));
                _remaining -= take;
                IsComplete = _remaining == 0;
                return take;
            default:
                return DecodeChunked(input, body);
        }
    }

    private int DecodeChunked(ReadOnlySpan<byte> input, IBufferWriter<byte> body)
    {
        int i = 0;
        while (i < input.Length && !IsComplete)
        {
            byte b = input[i];
            switch (_state)
            {
                case State.SizeLine:
                    i++;
                    if (b == '\n')
                    {
                        if (!_sizeDigits)
                        {
                            throw Malformed("a chunk size line without a size");
                        }

                        _state = _remaining == 0 ? State.Trailer : State.Data;
                        _sizeDigits = _sizeEnded = false;
                        _lineEmpty = true;
                    }
                    else if (!_sizeEnded && HexValue(b) is int digit)
                    {
                        if (_remaining > int.MaxValue)
                        {
                            throw Malformed("a chunk over 2 GiB");
                        }

                        _remaining = _remaining * 16 + digit;
                        _sizeDigits = true;
                    }
                    else if (b is (byte)';' or (byte)' ' or (byte)'\t' or (byte)'\r' || _sizeEnded)
                    {
                        _sizeEnded = true; // an extension, or the line's CR: skipped until the LF
                    }
                    else
                    {
                        throw Malformed($"byte 0x{b:x2} in a chunk size");
                    }

                    break;
                case State.Data:
                    int take = (int)Math.Min(_remaining, input.Length - i);
                    body.Write(input.Slice(i, take));
                    i += take;
                    _remaining -= take;
                    if (_remaining == 0)
                    {
                        _state = State.DataEnd;
                    }

                    break;
                case State.DataEnd:
                    // The CRLF after a chunk's data.
                    i++;
                    if (b == '\n')
                    {
                        _state = State.SizeLine;
                    }
                    else if (b != '\r')
                    {
                        throw Malformed("chunk data longer than its size");
                    }

                    break;
                case State.Trailer:
                    // Trailer fields are skipped; an empty line ends the body.
                    i++;
                    if (b == '\n')
                    {
                        if (_lineEmpty)
                        {
                            IsComplete = true;
                        }

                        _lineEmpty = true;
                    }
                    else if (b != '\r')
                    {
                        _lineEmpty = false;
                    }

                    break;
            }
        }

        return i;
    }

    private static int? HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => null,
    };

    private static WsClientException Malformed(string what) => new(ErrorKind.HttpFailed, $"Malformed chunked body: {what}.");
}
