using System.Net.WebSockets;

namespace CityContact.Simulator.Tests;

/// <summary>The test apps' side of the ARI WebSocket: whole messages, however the frames are split.</summary>
internal static class WebSocketMessages
{
    /// <summary>The next whole message, or null once the simulator closes the socket.</summary>
    public static async Task<byte[]?> ReceiveAsync(WebSocket socket, byte[] buffer, CancellationToken cancellationToken)
    {
        using var message = new MemoryStream();
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer, cancellationToken);
            message.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);
        return result.MessageType == WebSocketMessageType.Close ? null : message.ToArray();
    }
}
