using System.Net;
using System.Net.Sockets;

namespace WsFast.Server;

/// <summary>
/// What the per-address limits count a client address as: an IPv4 address itself, an IPv6 address by its /64
/// prefix (RFC 4291 section 2.5.4: the interface identifier is the low 64 bits, and one subscriber is usually
/// given a whole /64, which would otherwise give it 2^64 addresses to spread over).
/// </summary>
internal static class AddressKey
{
    /// <summary>An IPv4-mapped IPv6 address (<c>::ffff:a.b.c.d</c>, as a dual-stack socket reports IPv4 peers) as its IPv4 address.</summary>
    public static IPAddress Normalize(IPAddress address) =>
        address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>
    /// The key of <paramref name="address"/>: IPv4 in the low 32 bits with <c>0xffff</c> above them (its mapped
    /// form, whose low 64 bits are never zero), an IPv6 /64 prefix in the high 64 bits with the low 64 zero.
    /// </summary>
    public static UInt128 Of(IPAddress address)
    {
        address = Normalize(address);
        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(bytes, out _);
            return new UInt128(0, 0xffff_0000_0000UL | System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes));
        }

        address.TryWriteBytes(bytes, out _);
        return new UInt128(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes), 0);
    }
}
