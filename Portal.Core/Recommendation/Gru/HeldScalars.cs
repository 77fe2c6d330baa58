using TorchSharp;

namespace Portal.Core.Recommendation.Gru;

/// <summary>
/// libtorch Scalars that live as long as the process, passed explicitly wherever a TorchSharp call takes a Scalar.
/// </summary>
/// <remarks>
/// Why: TorchSharp 0.107 turns a .NET number into a <see cref="Scalar"/> implicitly (and its <c>a + b</c>,
/// <c>add(t)</c> and <c>add_(t)</c> pass an implicit alpha of 1). Such a Scalar wraps a raw native pointer that only its
/// finalizer frees, and once its handle is read the object is no longer reachable: a garbage collection started by
/// another thread while the native call runs can free it under libtorch. Two GRU networks training on parallel threads
/// crashed in <c>add()</c> that way. The training step and the state replay therefore pass only Scalars that are held
/// here (constants) or by a <c>using</c> variable of the calling method (values from the parameters), which stay
/// reachable until the call returns. <c>GruRecommenderTests</c> trains in parallel under forced collections, but the
/// window is too narrow for a test to hit reliably: the guarantee is that no call of the training step, the state
/// replay, the network or the Adagrad optimiser passes an implicit Scalar. Not covered: Adam (optimizer=1), whose dense
/// step is TorchSharp's <c>optim.Adam</c>; it never trains in parallel, which narrows the window to collections started
/// by other threads of the process. Sharing one Scalar between threads is safe: libtorch only reads it.
/// </remarks>
internal static class HeldScalars
{
    /// <summary>0 (float64).</summary>
    public static readonly Scalar Zero = 0.0.ToScalar();
    /// <summary>1 (float64): the alpha of additions.</summary>
    public static readonly Scalar One = 1.0.ToScalar();
    /// <summary>2 (float64): the square.</summary>
    public static readonly Scalar Two = 2.0.ToScalar();
    /// <summary>1e-24: keeps log() finite in BPR-max.</summary>
    public static readonly Scalar Tiny = 1e-24.ToScalar();
    /// <summary>1e-12: the smallest norm the state pooling divides by.</summary>
    public static readonly Scalar NormFloor = 1e-12.ToScalar();
    /// <summary>−1e9: the mask that removes a row's own target from BPR-max's negatives.</summary>
    public static readonly Scalar MaskedOut = (-1e9).ToScalar();
    /// <summary>1e-6: Adagrad's ε.</summary>
    public static readonly Scalar AdagradEpsilon = 1e-6.ToScalar();
}
