using System.Buffers;
using System.Text;
using WsFast.Protocol;

namespace WsFast.Fuzz.Targets;

/// <summary>
/// <c>handshake</c>: the bytes a client sends before the upgrade (RFC 6455 section 4.1, RFC 9112), read by
/// the <see cref="HandshakeReader"/> whole and in pieces. The limits are small so the fuzzer reaches them.
/// </summary>
public static class HandshakeTarget
{
    /// <summary>Room for the RFC's sample and a browser's request; a mutated one soon runs past it.</summary>
    public const int MaxHeaderBytes = 1024;

    /// <summary>Past the 13 headers of the browser request in the seed corpus.</summary>
    public const int MaxHeaderCount = 16;

    /// <summary>Reads <paramref name="input"/> whole and in pieces; throws <see cref="ContractViolationException"/> on a breach.</summary>
    public static void Run(ReadOnlySpan<byte> input)
    {
        byte[] data = input.ToArray();
        string whole = Read(data, [Math.Max(1, data.Length)]);
        string pieces = Read(data, Splits.Sizes(input));
        ContractViolationException.Check(whole == pieces, $"split changed the result\nwhole:  {whole}\npieces: {pieces}");
    }

    // Feeds the data the way a pipe does: each read adds a segment and the reader sees everything unconsumed.
    private static string Read(byte[] data, int[] sizes)
    {
        var reader = new HandshakeReader(MaxHeaderBytes, MaxHeaderCount);
        var pieces = new List<ReadOnlyMemory<byte>>();
        int offset = 0;
        int call = 0;
        while (offset < data.Length)
        {
            int size = Math.Min(sizes[Math.Min(call, sizes.Length - 1)], data.Length - offset);
            pieces.Add(data.AsMemory(offset, size));
            offset += size;
            call++;

            ReadOnlySequence<byte> buffer = Splits.Chain(pieces);
            HandshakeStatus status;
            SequencePosition consumed;
            SequencePosition examined;
            HandshakeRequest? request;
            HandshakeError error;
            try
            {
                status = reader.TryRead(buffer, out consumed, out examined, out request, out error);
            }
            catch (Exception e)
            {
                throw new ContractViolationException($"the handshake reader threw {e}");
            }

            long consumedBytes = buffer.Slice(buffer.Start, consumed).Length;
            long examinedBytes = buffer.Slice(buffer.Start, examined).Length;
            ContractViolationException.Check(Enum.IsDefined(status), $"undefined status {status}");
            ContractViolationException.Check(
                consumedBytes <= examinedBytes && examinedBytes <= buffer.Length,
                $"consumed {consumedBytes}, examined {examinedBytes} of {buffer.Length}");

            switch (status)
            {
                case HandshakeStatus.Incomplete:
                    ContractViolationException.Check(
                        consumedBytes == 0 && examinedBytes == buffer.Length && request is null && error == HandshakeError.None,
                        $"incomplete with consumed {consumedBytes}, examined {examinedBytes}, error {error}");
                    // Never more held than the limit without a refusal (431).
                    ContractViolationException.Check(buffer.Length <= MaxHeaderBytes, $"holding {buffer.Length} bytes without refusing");
                    continue;
                case HandshakeStatus.Refused:
                    ContractViolationException.Check(
                        request is null && Enum.IsDefined(error) && error != HandshakeError.None && consumedBytes == 0,
                        $"refused with error {error}, consumed {consumedBytes}");
                    CheckWrites(HandshakeResponse.TryWriteRefusal(error, new byte[1024], out _), $"refusal for {error}");
                    return $"{status} {error}";
                case HandshakeStatus.Upgrade or HandshakeStatus.PlainRequest:
                    ContractViolationException.Check(
                        request is not null && error == HandshakeError.None && consumedBytes == examinedBytes
                        && consumedBytes >= 4 && consumedBytes <= MaxHeaderBytes
                        && request.IsWebSocketUpgrade == (status == HandshakeStatus.Upgrade),
                        $"{status} with error {error}, consumed {consumedBytes}, examined {examinedBytes}");
                    try
                    {
                        CheckRequest(status, request!);
                        return $"{status} consumed={consumedBytes} {Describe(request!)}";
                    }
                    catch (Exception e) when (e is not ContractViolationException)
                    {
                        throw new ContractViolationException($"using the {status} request threw {e}");
                    }
                default:
                    // Hixie-76 is not recognized by this reader: it must never say so.
                    throw new ContractViolationException($"status {status} from a reader that does not recognize hixie-76");
            }
        }

        return "Incomplete";
    }

    private static void CheckRequest(HandshakeStatus status, HandshakeRequest request)
    {
        byte[] response = new byte[1024];
        if (status == HandshakeStatus.Upgrade)
        {
            // Section 4.2.1: a GET with a 16-byte nonce, answered with a 101 the server can always write.
            ContractViolationException.Check(request.Method == "GET" && request.Path.StartsWith('/'), $"upgrade for {request.Method} {request.Path}");
            ContractViolationException.Check(IsSixteenByteKey(request.Key), $"upgrade with key {request.Key}");
            CheckWrites(
                HandshakeResponse.TryWriteAccept(
                    request.Key,
                    request.Subprotocols.Count > 0 ? request.Subprotocols[0] : null,
                    request.Extensions.Count > 0 ? request.Extensions[0].ToString() : null,
                    response,
                    out _),
                "the 101 response");
        }
        else
        {
            ContractViolationException.Check(
                request.NonUpgradeReason is HandshakeError.MissingUpgrade or HandshakeError.MissingConnectionUpgrade,
                $"plain request with reason {request.NonUpgradeReason}");
            CheckWrites(HandshakeResponse.TryWriteRefusal(request.NonUpgradeReason, response, out _), "the plain request's refusal");
        }
    }

    private static bool IsSixteenByteKey(string key)
    {
        Span<byte> nonce = stackalloc byte[24];
        return Convert.TryFromBase64String(key, nonce, out int length) && length == 16;
    }

    private static void CheckWrites(bool written, string what) =>
        ContractViolationException.Check(written, $"{what} did not fit 1024 bytes");

    private static string Describe(HandshakeRequest request)
    {
        var text = new StringBuilder();
        text.Append(request.Method).Append(' ').Append(request.Path).Append(" ?").Append(request.Query)
            .Append(" host=").Append(request.Host).Append(" origin=").Append(request.Origin ?? "(none)")
            .Append(" key=").Append(request.Key).Append(" length=").Append(request.ContentLength?.ToString() ?? "(none)")
            .Append(" protocols=").Append(string.Join('|', request.Subprotocols))
            .Append(" extensions=").Append(string.Join('|', request.Extensions));
        foreach (KeyValuePair<string, string> header in request.Headers)
        {
            text.Append('\n').Append(header.Key).Append(": ").Append(header.Value);
        }

        return text.ToString();
    }
}
