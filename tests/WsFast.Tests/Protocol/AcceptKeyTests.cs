using System.Text;
using WsFast.Protocol;

namespace WsFast.Tests.Protocol;

public class AcceptKeyTests
{
    [Fact]
    public void Section_1_3_the_sample_key_gives_the_sample_accept_value()
    {
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", AcceptKey.Compute("dGhlIHNhbXBsZSBub25jZQ=="));
    }

    [Fact]
    public void A_key_captured_from_Chrome_gives_its_section_4_2_2_accept_value()
    {
        // Expected value cross-checked with OpenSSL: base64(SHA-1(key + GUID)).
        Assert.Equal("xz5za8NREwQU5Q7cx9Dn8XzG9HA=", AcceptKey.Compute("QM9LlNTkaJ2ytQ5w4v4Y0w=="));
    }

    [Fact]
    public void The_byte_form_writes_28_bytes_into_the_destination()
    {
        Span<byte> destination = stackalloc byte[40];
        int written = AcceptKey.Compute("dGhlIHNhbXBsZSBub25jZQ=="u8, destination);

        Assert.Equal(AcceptKey.Length, written);
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", Encoding.ASCII.GetString(destination[..written]));
    }

    [Fact]
    public void A_destination_shorter_than_28_bytes_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => AcceptKey.Compute("dGhlIHNhbXBsZSBub25jZQ=="u8, new byte[27]));
    }

    [Fact]
    public void Computing_allocates_nothing()
    {
        byte[] key = Encoding.ASCII.GetBytes("dGhlIHNhbXBsZSBub25jZQ==");
        byte[] destination = new byte[AcceptKey.Length];
        AcceptKey.Compute(key, destination);

        long before = GC.GetAllocatedBytesForCurrentThread();
        AcceptKey.Compute(key, destination);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
