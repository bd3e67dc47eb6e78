namespace WsFast;

/// <summary>Whether a message carries UTF-8 text or bytes.</summary>
public enum MessageType : byte
{
    /// <summary>A text message: its payload is valid UTF-8.</summary>
    Text = 1,
    /// <summary>A binary message.</summary>
    Binary = 2,
}

