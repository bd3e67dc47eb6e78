using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace WsFast.Tests.Auth;

/// <summary>JWTs made the way an application's backend would, with the library the executable checks them with.</summary>
internal static class Tokens
{
    /// <summary>The HMAC secret the executable is given (WSFAST_JWT_KEY).</summary>
    public const string Secret = "a-test-secret-of-more-than-32-bytes";

    public const string Audience = "wsfast-test";

    public static readonly SigningCredentials Hmac = new(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(Secret)), SecurityAlgorithms.HmacSha256);

    /// <summary>A token for <paramref name="subject"/> expiring <paramref name="lifetime"/> from now (default a minute).</summary>
    public static string Make(
        SigningCredentials? credentials = null,
        string[]? channels = null,
        string[]? publish = null,
        TimeSpan? lifetime = null,
        string? audience = Audience,
        string subject = "alice",
        string? channelsAsText = null,
        string? issuer = null)
    {
        DateTime now = DateTime.UtcNow;
        DateTime expires = now + (lifetime ?? TimeSpan.FromMinutes(1));
        var claims = new Dictionary<string, object> { ["sub"] = subject };
        if (channels is not null)
        {
            claims["channels"] = channels;
        }

        if (channelsAsText is not null)
        {
            claims["channels"] = channelsAsText;
        }

        if (publish is not null)
        {
            claims["publish"] = publish;
        }

        var descriptor = new SecurityTokenDescriptor
        {
            Claims = claims,
            Audience = audience,
            Issuer = issuer,
            IssuedAt = expires.AddMinutes(-2),
            NotBefore = expires.AddMinutes(-2),
            Expires = expires,
            SigningCredentials = credentials ?? Hmac,
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <summary>A new RSA or EC key pair: the signing credentials, and the public key as a PEM file to delete.</summary>
    public static (SigningCredentials Credentials, string PemPath) KeyPair(string kind)
    {
        string path = Path.Combine(Path.GetTempPath(), $"wsfast-jwt-{Guid.NewGuid():N}.pem");
        if (kind == "rsa")
        {
            var rsa = RSA.Create(2048);
            File.WriteAllText(path, rsa.ExportSubjectPublicKeyInfoPem());
            return (new SigningCredentials(new RsaSecurityKey(rsa), SecurityAlgorithms.RsaSha256), path);
        }

        var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        File.WriteAllText(path, ec.ExportSubjectPublicKeyInfoPem());
        return (new SigningCredentials(new ECDsaSecurityKey(ec), SecurityAlgorithms.EcdsaSha256), path);
    }
}
