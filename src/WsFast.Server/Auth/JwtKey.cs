using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace WsFast.ServerApp;

/// <summary>
/// The key of <c>--jwt-key</c>: the path of a PEM file holding an RSA or EC public key, or else an HMAC secret
/// (at least 32 bytes, as HS256 needs). The algorithms accepted follow the key's kind, so that a token cannot
/// choose to be checked as HMAC with a public key as its secret (algorithm confusion).
/// </summary>
internal sealed class JwtKey
{
    private JwtKey(SecurityKey key, string[] algorithms, string description)
    {
        Key = key;
        Algorithms = algorithms;
        Description = description;
    }

    public SecurityKey Key { get; }

    public string[] Algorithms { get; }

    /// <summary>What the key is, for the startup line (never the secret).</summary>
    public string Description { get; }

    /// <exception cref="FormatException">The file is no PEM public key, or the secret is too short.</exception>
    public static JwtKey Load(string value)
    {
        if (File.Exists(value))
        {
            return FromPem(value, File.ReadAllText(value));
        }

        if (value.StartsWith('/') || value.StartsWith("./", StringComparison.Ordinal) || value.EndsWith(".pem", StringComparison.OrdinalIgnoreCase))
        {
            // A path that does not exist would otherwise become a weak secret silently.
            throw new FormatException($"jwt-key: no file '{value}'");
        }

        byte[] secret = Encoding.UTF8.GetBytes(value);
        if (secret.Length < 32)
        {
            throw new FormatException("jwt-key: an HMAC secret is at least 32 bytes (HS256 needs 256 bits)");
        }

        return new JwtKey(new SymmetricSecurityKey(secret), [SecurityAlgorithms.HmacSha256, SecurityAlgorithms.HmacSha384, SecurityAlgorithms.HmacSha512], "HMAC secret");
    }

    private static JwtKey FromPem(string path, string pem)
    {
        if (!pem.Contains("PUBLIC KEY", StringComparison.Ordinal))
        {
            throw new FormatException($"jwt-key: '{path}' holds no PEM public key (-----BEGIN PUBLIC KEY-----)");
        }

        try
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            return new JwtKey(new RsaSecurityKey(rsa),
                [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
                 SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512],
                $"RSA public key from {path}");
        }
        catch (CryptographicException)
        {
        }
        catch (ArgumentException)
        {
        }

        try
        {
            var ec = ECDsa.Create();
            ec.ImportFromPem(pem);
            return new JwtKey(new ECDsaSecurityKey(ec),
                [SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512],
                $"EC public key from {path}");
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new FormatException($"jwt-key: '{path}' holds neither an RSA nor an EC public key: {e.Message}", e);
        }
    }
}
