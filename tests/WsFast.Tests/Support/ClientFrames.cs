using System.Buffers.Binary;
using System.Text;
using WsFast.Protocol;

namespace WsFast.Tests.Support;

/// <summary>Encodes frames the way a client sends them (masked), including ones that break the rules.</summary>
internal static class ClientFrames
{
    /// <summary>The masking key of the examples in RFC 6455 section 5.7.</summary>
    public static readonly byte[] RfcKey = [0x37, 0xfa, 0x21, 0x3d];

    /// <summary>Encodes one frame. <paramref name="firstByte"/> overrides FIN/RSV/opcode when given.</summary>
    public static byte[] Frame(Opcode opcode, ReadOnlySpan<byte> payload, bool fin = true, bool masked = true,
        byte[]? key = null, int? firstByte = null)
    {
        key ??= RfcKey;
        var frame = new List<byte>
        {
            (byte)(firstByte ?? ((fin ? 0x80 : 0) | (int)opcode)),
        };
        byte maskBit = masked ? (byte)0x80 : (byte)0;
        if (payload.Length <= 125)
        {
            frame.Add((byte)(maskBit | payload.Length));
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            frame.Add((byte)(maskBit | 126));
            frame.Add((byte)(payload.Length >> 8));
            frame.Add((byte)payload.Length);
        }
        else
        {
            frame.Add((byte)(maskBit | 127));
            var length = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(length, (ulong)payload.Length);
            frame.AddRange(length);
        }

        if (masked)
        {
            frame.AddRange(key);
        }

        for (int i = 0; i < payload.Length; i++)
        {
            frame.Add(masked ? (byte)(payload[i] ^ key[i & 3]) : payload[i]);
        }

        return frame.ToArray();
    }

    /// <summary>A masked text frame of <paramref name="text"/>.</summary>
    public static byte[] Text(string text, bool fin = true) => Frame(Opcode.Text, Encoding.UTF8.GetBytes(text), fin);

    /// <summary>A masked close frame with a code and a reason.</summary>
    public static byte[] Close(ushort code, string reason = "")
    {
        byte[] reasonBytes = Encoding.UTF8.GetBytes(reason);
        var payload = new byte[2 + reasonBytes.Length];
        BinaryPrimitives.WriteUInt16BigEndian(payload, code);
        reasonBytes.CopyTo(payload, 2);
        return Frame(Opcode.Close, payload);
    }

    /// <summary>Concatenates frames into one byte stream.</summary>
    public static byte[] Concat(params byte[][] frames) => frames.SelectMany(f => f).ToArray();
}
