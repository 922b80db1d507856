"""The scaling laws the analysis builds on (docs/method.md §6), as their papers write them, each
with its compute-optimal allocation under C = 6·N·D (C in FLOP, loss in nats per token).

Kaplan et al. 2020, "Scaling laws for neural language models":

    L(N) = (N_c/N)^α_N,  L(D) = (D_c/D)^α_D,  L(C_min) = (C_c/C_min)^α_C^min,
    L(N, D) = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D,   N_opt(C_min) = 1.3e9 · C_min^0.73 (PF-days)

Hoffmann et al. 2022, "Training compute-optimal large language models" (Chinchilla):

    L(N, D) = E + A/N^α + B/D^β,
    N_opt(C) = G·(C/6)^a,  D_opt(C) = G⁻¹·(C/6)^b,
    a = β/(α+β),  b = α/(α+β),  G = (αA/(βB))^(1/(α+β))

(A commonly reposted version of the last line has b = α/(β+β): a typo; a + b = 1 is what
makes N_opt·D_opt = C/6.) Along the optimum the loss is E + K·(C/6)^(−αβ/(α+β)) with
K = A·G^−α + B·G^β, so the compute at which the optimum reaches a loss has a closed form.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PF_DAY = 1e15 * 24 * 3600  # FLOP in one petaflop/s-day


@dataclass(frozen=True)
class KaplanLaws:
    """Kaplan et al. (2020) laws with their published constants (N without embeddings)."""

    alpha_N: float = 0.076       # L(N), Eq. 1.1
    N_c: float = 8.8e13
    alpha_D: float = 0.095       # L(D), Eq. 1.2
    D_c: float = 5.4e13
    alpha_C: float = 0.050       # L(C_min), Eq. 1.3; C_c in PF-days
    C_c: float = 3.1e8
    joint_alpha_N: float = 0.076  # L(N, D), Eq. 1.5 and Table 2
    joint_alpha_D: float = 0.103
    joint_N_c: float = 6.4e13
    joint_D_c: float = 1.8e13
    opt_coefficient: float = 1.3e9  # N_opt = 1.3e9 · C_min^0.73, C_min in PF-days
    opt_exponent: float = 0.73

    def loss_params(self, n):
        return (self.N_c / np.asarray(n, float)) ** self.alpha_N

    def loss_tokens(self, d):
        return (self.D_c / np.asarray(d, float)) ** self.alpha_D

    def loss_compute(self, compute):
        """L(C_min) with C_min in FLOP."""
        return (self.C_c / (np.asarray(compute, float) / PF_DAY)) ** self.alpha_C

    def loss(self, n, d):
        """The joint law L(N, D)."""
        ratio = self.joint_alpha_N / self.joint_alpha_D
        n, d = np.asarray(n, float), np.asarray(d, float)
        return ((self.joint_N_c / n) ** ratio + self.joint_D_c / d) ** self.joint_alpha_D

    def optimal_params(self, compute):
        """Kaplan's compute-efficient model size N_opt(C_min) ∝ C^0.73 (C in FLOP)."""
        return self.opt_coefficient * (np.asarray(compute, float) / PF_DAY) ** self.opt_exponent

    def optimal_tokens(self, compute):
        return np.asarray(compute, float) / (6.0 * self.optimal_params(compute))

    def joint_optimum(self, compute) -> tuple[np.ndarray, np.ndarray]:
        """(N, D) minimising the joint law L(N, D) subject to C = 6ND, in closed form:
        with p = α_N/α_D, N* = (p·N_c^p·C/(6·D_c))^(1/(1+p))."""
        p = self.joint_alpha_N / self.joint_alpha_D
        compute = np.asarray(compute, float)
        n = (p * self.joint_N_c ** p * compute / (6.0 * self.joint_D_c)) ** (1.0 / (1.0 + p))
        return n, compute / (6.0 * n)


@dataclass(frozen=True)
class ChinchillaLaw:
    """L(N, D) = E + A/N^α + B/D^β with its compute-optimal frontier."""

    E: float = 1.69
    A: float = 406.4
    B: float = 410.7
    alpha: float = 0.34
    beta: float = 0.28

    @property
    def a(self) -> float:
        """Exponent of N_opt in C: β/(α+β)."""
        return self.beta / (self.alpha + self.beta)

    @property
    def b(self) -> float:
        """Exponent of D_opt in C: α/(α+β)."""
        return self.alpha / (self.alpha + self.beta)

    @property
    def G(self) -> float:
        return (self.alpha * self.A / (self.beta * self.B)) ** (1.0 / (self.alpha + self.beta))

    @property
    def frontier_exponent(self) -> float:
        """Along the optimum, L − E ∝ C^−αβ/(α+β)."""
        return self.alpha * self.beta / (self.alpha + self.beta)

    @property
    def frontier_coefficient(self) -> float:
        """K in L* = E + K·(C/6)^−αβ/(α+β)."""
        return self.A * self.G ** -self.alpha + self.B * self.G ** self.beta

    def loss(self, n, d):
        n, d = np.asarray(n, float), np.asarray(d, float)
        return self.E + self.A / n ** self.alpha + self.B / d ** self.beta

    def optimal_params(self, compute):
        return self.G * (np.asarray(compute, float) / 6.0) ** self.a

    def optimal_tokens(self, compute):
        return (np.asarray(compute, float) / 6.0) ** self.b / self.G

    def optimal_loss(self, compute):
        """Loss of the compute-optimal allocation at C."""
        c6 = np.asarray(compute, float) / 6.0
        return self.E + self.frontier_coefficient * c6 ** -self.frontier_exponent

    def compute_for_loss(self, loss):
        """The C at which the compute-optimal allocation reaches `loss` (inf if loss ≤ E)."""
        excess = np.asarray(loss, float) - self.E
        with np.errstate(divide="ignore", invalid="ignore"):
            out = 6.0 * (excess / self.frontier_coefficient) ** (-1.0 / self.frontier_exponent)
        return np.where(excess > 0, out, np.inf)

    def compute_equivalent_gain(self, n, d):
        """C/C′ for a model with (N, D), C = 6ND: C′ is the compute at which the
        compute-optimal allocation reaches the same loss (≥ 1 for any allocation)."""
        n, d = np.asarray(n, float), np.asarray(d, float)
        return 6.0 * n * d / self.compute_for_loss(self.loss(n, d))

    @classmethod
    def from_params(cls, params: dict) -> "ChinchillaLaw":
        """From a dict with keys E, A, B, alpha, beta (e.g. an Approach 3 fit)."""
        return cls(*(float(params[k]) for k in ("E", "A", "B", "alpha", "beta")))


KAPLAN = KaplanLaws()
#: Hoffmann et al. (2022), Approach 3, as published
CHINCHILLA = ChinchillaLaw()
#: Besiroglu et al. (2024) refit of Approach 3 on data read from Hoffmann et al.'s Figure 4
BESIROGLU = ChinchillaLaw(E=1.82, A=482.0, B=2085.0, alpha=0.348, beta=0.366)


def kaplan_vs_chinchilla_gain(compute, chinchilla: ChinchillaLaw = CHINCHILLA,
                              kaplan: KaplanLaws = KAPLAN):
    """docs/method.md §8 B: compute-equivalent gain of Chinchilla's over Kaplan's allocation.
    At C, allocate by the optimum of Kaplan's joint law, evaluate Chinchilla's loss there,
    and return C/C′ with C′ the compute of the Chinchilla optimum reaching that loss."""
    n, d = kaplan.joint_optimum(compute)
    return chinchilla.compute_equivalent_gain(n, d)


def gain_of_allocation(compute: float, tokens: float,
                       chinchilla: ChinchillaLaw = CHINCHILLA) -> float:
    """Compute-equivalent gain of the Chinchilla optimum over a model trained with
    C = compute FLOP on `tokens` tokens (N = C/(6D)), e.g. GPT-3 or PaLM."""
    return float(chinchilla.compute_equivalent_gain(compute / (6.0 * tokens), tokens))

