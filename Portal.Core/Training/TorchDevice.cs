using static TorchSharp.torch;

namespace Portal.Core.Training;

/// <summary>Which device TorchSharp trains on: CUDA when libtorch sees a GPU, the CPU otherwise.</summary>
public static class TorchDevice
{
    /// <summary>The device to train on (<c>cuda</c> or <c>cpu</c>).</summary>
    /// <exception cref="TypeInitializationException">libtorch could not be loaded (see SETUP.md for the Debian 12 fix).</exception>
    public static Device Preferred => cuda.is_available() ? CUDA : CPU;

    /// <summary>A one-line description for logs and the UI (<c>CUDA (1 device)</c>, <c>CPU</c>, or why libtorch failed to load).</summary>
    public static string Describe()
    {
        try
        {
            return cuda.is_available() ? $"CUDA ({cuda.device_count()} device(s))" : "CPU";
        }
        catch (Exception ex)
        {
            return $"CPU only: libtorch could not be loaded ({ex.GetBaseException().Message})";
        }
    }
}
