using System.Text;

namespace WsFast.Benchmarks;

/// <summary>What a deflate benchmark compresses.</summary>
public enum PayloadKind
{
    /// <summary>A JSON array of market-data ticks and chat messages, as a feed or chat room sends.</summary>
    Json,

    /// <summary>Random bytes: nothing to find, so compression fails and the message goes out as it is.</summary>
    Random,
}

/// <summary>Deterministic payloads for the deflate benchmarks: the same bytes on every run and machine.</summary>
internal static class DeflatePayloads
{
    private static readonly string[] Symbols = ["BTC-USD", "ETH-USD", "SOL-USD", "EUR-USD", "AAPL", "MSFT", "NVDA", "TSLA"];
    private static readonly string[] Users = ["alice", "bob", "chen", "dana", "emeka", "fatima", "gus", "hiro"];
    private static readonly string[] Words =
        ["the", "price", "is", "up", "again", "anyone", "watching", "this", "market", "today", "looks", "like", "a",
         "breakout", "or", "fake", "out", "I", "think", "we", "hold", "until", "close", "lol", "news", "at", "noon"];

    /// <summary><paramref name="size"/> bytes of <paramref name="kind"/>, generated from a fixed seed.</summary>
    public static byte[] Create(PayloadKind kind, int size)
    {
        var random = new Random(7692);
        if (kind == PayloadKind.Random)
        {
            var bytes = new byte[size];
            random.NextBytes(bytes);
            return bytes;
        }

        // A JSON array of records; when the next record does not fit, JSON whitespace fills the rest, so every size
        // is valid JSON of exactly `size` bytes (64 B holds one tick).
        var json = new StringBuilder("[");
        long time = 1_764_633_600_000;
        while (true)
        {
            string record = NextRecord(random, ref time);
            int separator = json.Length > 1 ? 1 : 0;
            if (json.Length + separator + record.Length + 1 > size)
            {
                break;
            }

            json.Append(separator == 1 ? "," : "").Append(record);
        }

        json.Append(' ', size - json.Length - 1).Append(']');
        return Encoding.UTF8.GetBytes(json.ToString());
    }

    private static string NextRecord(Random random, ref long time)
    {
        time += random.Next(1, 40);
        if (random.Next(4) != 0)
        {
            // Three ticks in four: quotes move by cents around a level, as they do between consecutive messages.
            double bid = 100 + random.Next(0, 50_000) / 100.0;
            return $"{{\"s\":\"{Symbols[random.Next(Symbols.Length)]}\",\"b\":{bid:F2},\"a\":{bid + 0.05:F2},\"t\":{time}}}";
        }

        var text = new StringBuilder();
        for (int i = random.Next(3, 12); i > 0; i--)
        {
            text.Append(Words[random.Next(Words.Length)]).Append(i > 1 ? " " : "");
        }

        return $"{{\"type\":\"chat\",\"room\":\"general\",\"user\":\"{Users[random.Next(Users.Length)]}\",\"text\":\"{text}\",\"t\":{time}}}";
    }
}
