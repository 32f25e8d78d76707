"""The Mesa model of an eco-industrial park (docs/model.md, the ODD protocol of this model).

``SymbiosisModel.step`` is the monthly schedule of docs/model.md section 3, one verb per stage.
Decisions that a reader wants to see as agents' live in ``agents/``; matching and costing of
candidate exchanges is the array kernel in ``simulation.market``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mesa
import numpy as np

from agents import Authority, Company, ParkOperator
from agents.company import CompanyTable
from scenarios.parameters import validate
from scenarios.parks import build_park
from scenarios.resources import sector_catalogue, stream_catalogue
from simulation import accounting, market
from simulation.exchanges import ExchangeBook
from simulation.indicators import IndicatorCollector, Indicators
from simulation.social import social_ties

_EPS = 1e-9
# Delivery rules of re-evaluation (docs/model.md, section 7.10; placeholders, not calibrated):
RELIABLE_DELIVERY_SHARE = 0.8  # delivering at least this share of the plan builds trust
FAILED_DELIVERY_SHARE = 0.5  # delivering less than this share is a failure that costs trust
TRUST_EXIT_MARGIN = 0.1  # an exchange ends when trust falls this far below what deals need


class SymbiosisModel(mesa.Model):
    """Companies, a park operator and an authority exchanging by-products, energy and water.

    Every parameter of ``scenarios.parameters`` is a keyword argument with its declared default,
    e.g. ``SymbiosisModel(seed=1, landfill_tax_eur_per_t=80.0)``.

    Attributes:
        params: The complete, validated parameters of the run.
        month: Months simulated so far.
        companies: State of every company (``CompanyTable``).
        book: Every exchange started so far (``ExchangeBook``).
        indicators: Indicator accounting; one row per step in ``datacollector``.
    """

    def __init__(self, *, seed: int = 0, **params: Any) -> None:
        """Build the park, the social network and the agents from ``params``.

        Raises:
            scenarios.parameters.ParameterError: On an unknown parameter or a disallowed value.
        """
        super().__init__(rng=int(seed))
        self.params = p = validate(params)
        self.seed = int(seed)
        self.month = 0
        self.streams = stream_catalogue()
        self.sectors = sector_catalogue()

        park = build_park(p, self.rng)
        self.park_name = park.name
        self.companies = self._company_table(park)
        self.firm_names = list(park.firm_names)
        self._next_firm_id = len(park)
        self.slot_history: dict[int, list[tuple[int, int]]] = {}
        self.exited_benefit: dict[int, float] = {}
        self.company_agents = [
            Company(self, slot, name) for slot, name in enumerate(park.firm_names)
        ]
        self.tie_from, self.tie_to = social_ties(
            p["social_network"],
            park.x_km,
            park.y_km,
            int(p["social_mean_degree"]),
            float(p["social_rewiring"]),
            self.rng,
        )
        tie_keys = self._pair_key(self.tie_from, self.tie_to)
        self._tie_keys = np.unique(tie_keys)
        self._tie_channel = np.full(len(self.tie_from), 2, dtype=np.int64)
        self.relations: dict[int, tuple[float, int]] = {}
        self.introduced_from = np.zeros(0, dtype=np.int64)
        self.introduced_to = np.zeros(0, dtype=np.int64)
        self.brokered_keys: set[int] = set()

        self.authority = Authority(self, p)
        self.operator = ParkOperator(self, p)
        self.book = ExchangeBook()
        self._kept_values: dict[str, tuple[int, Any]] = {}
        self.committed_supply = np.zeros_like(self.companies.base_supply)
        self.committed_need = np.zeros_like(self.companies.base_need)
        self.annuity = market.annuity_factor(p["discount_rate"], p["planning_horizon_years"])
        # Each firm values a deal over the planning horizon at its own hurdle rate (fixed per site).
        self.firm_annuity = market.annuity_factor(
            self.companies.hurdle_rate, p["planning_horizon_years"]
        )
        self.month_prices: market.Prices | None = None  # set by apply_policy each month
        self._price_levels: tuple | None = None  # the instrument levels month_prices are for
        self.indicators = Indicators(self)
        self.datacollector = IndicatorCollector()

    # --- set-up ---------------------------------------------------------------------------------

    def _company_table(self, park: Any) -> CompanyTable:
        p, rng, sectors = self.params, self.rng, self.sectors
        n = len(park)
        produces = sectors.produces_per_month[park.sector]
        if p["urban_waste"]:
            produces = produces + sectors.produces_urban_per_month[park.sector]
        return CompanyTable(
            sector=park.sector.copy(),
            size=park.size.copy(),
            x_km=park.x_km.copy(),
            y_km=park.y_km.copy(),
            is_recycler=sectors.is_recycler[park.sector],
            base_supply=produces * park.size[:, None],
            base_need=sectors.needs_per_month[park.sector] * park.size[:, None],
            awareness=_beta_around(p["awareness_mean"], n, rng),
            openness=_beta_around(p["openness_mean"], n, rng),
            generalized_trust=_beta_around(p["generalized_trust_mean"], n, rng),
            trust_in_operator=_beta_around(p["generalized_trust_mean"], n, rng),
            hurdle_rate=p["discount_rate"] * rng.lognormal(0.0, 0.3, n),
            platform_tier=np.zeros(n, dtype=np.int64),
            production_level=np.ones(n),
            stopped_until=np.zeros(n, dtype=np.int64),
            net_benefit_eur=np.zeros(n),
            firm_id=np.arange(n, dtype=np.int64),
        )

    def _pair_key(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Key of the unordered pair {a, b}."""
        n = len(self.companies)
        return np.minimum(a, b) * n + np.maximum(a, b)

    # --- the monthly schedule (docs/model.md, section 3) ----------------------------------------

    def step(self) -> None:
        """Simulate one month."""
        self.apply_policy()
        self.produce()
        self.share_information()
        self.search_and_negotiate()
        self.flow_and_account()
        self.reevaluate_exchanges()
        self.indicators.close_month()
        self.datacollector.collect(self)
        self.authority.adapt(self.month, self.indicators.row["recovery_rate"])
        self.month += 1

    def apply_policy(self) -> None:
        """Stage 1: the authority sets the instruments in force; the operator is funded."""
        self.authority.apply_instruments(self.month)
        self.indicators.open_month()
        self.operator.receive_funding(self.authority, accounting.fees_due(self))
        self.operator.build_infrastructure(
            self.authority, bool(self.authority.level("shared_infrastructure"))
        )
        self.update_prices()

    def update_prices(self) -> None:
        """Recompute ``month_prices`` when an instrument they depend on has changed."""
        auth = self.authority
        levels = (
            auth.level("landfill_tax"),
            auth.level("virgin_tax"),
            auth.level("subsidy"),
            auth.level("investment_grant"),
            auth.level("shared_infrastructure"),
            self.operator.infrastructure_built,
        )
        if levels != self._price_levels:
            self._price_levels = levels
            self.month_prices = self.prices()

    def produce(self) -> None:
        """Stage 2: production with fluctuations, stops, and firms leaving and entering."""
        p = self.params
        self.exit_and_enter()
        self.supply, self.need = Company.produce(
            self.companies,
            self.month,
            self.rng,
            uncertainty=p["supply_uncertainty"],
            turbulence=p["supply_turbulence"],
            stop_probability=p["disruption_rate_per_year"] / 12.0,
            stop_months=p["disruption_months"],
        )

    def exit_and_enter(self) -> None:
        """A leaving firm ends its exchanges; a new firm of its sector takes over the site."""
        rate = self.params["exit_rate_per_year"] / 12.0
        leaving = np.flatnonzero(self.rng.random(len(self.companies)) < rate)
        if len(leaving) == 0:
            return
        active = self.book.active()
        gone = market.isin_sorted(self.book.supplier[active], leaving) | market.isin_sorted(
            self.book.receiver[active], leaving
        )
        self.end_exchanges(active[gone], "partner_exit")
        table, p = self.companies, self.params
        for slot in leaving.tolist():
            old_id = int(table.firm_id[slot])
            self.slot_history.setdefault(slot, []).append((self.month, old_id))
            self.exited_benefit[old_id] = float(table.net_benefit_eur[slot])
            self.company_agents[slot].remove()
            table.firm_id[slot] = self._next_firm_id
            name = f"{self.sectors.names[table.sector[slot]]} {self._next_firm_id + 1}"
            self._next_firm_id += 1
            self.firm_names.append(name)
            self.company_agents[slot] = Company(self, slot, name)
        count = len(leaving)
        table.awareness[leaving] = _beta_around(p["awareness_mean"], count, self.rng)
        table.openness[leaving] = _beta_around(p["openness_mean"], count, self.rng)
        table.generalized_trust[leaving] = _beta_around(
            p["generalized_trust_mean"], count, self.rng
        )
        table.trust_in_operator[leaving] = table.generalized_trust[leaving]
        table.platform_tier[leaving] = 0
        table.stopped_until[leaving] = 0
        table.net_benefit_eur[leaving] = 0.0
        if self.relations:
            keys = np.fromiter(self.relations, dtype=np.int64, count=len(self.relations))
            stale = market.isin_sorted(keys // len(table), leaving) | market.isin_sorted(
                keys % len(table), leaving
            )
            for key in keys[stale].tolist():
                del self.relations[key]

    def share_information(self) -> None:
        """Stage 3: workshops, platform membership and knowledge diffusion."""
        self.hold_workshop()
        self.run_platform()
        Company.learn_from_neighbours(
            self.companies,
            self.tie_from,
            self.tie_to,
            self._kept(self._exchanging),
            self.params["knowledge_diffusion_rate"],
        )

    def _exchanging(self) -> np.ndarray:
        """1.0 for each firm in an active exchange, else 0.0."""
        active = self.book.active()
        exchanging = np.zeros(len(self.companies))
        exchanging[self.book.supplier[active]] = 1.0
        exchanging[self.book.receiver[active]] = 1.0
        return exchanging

    def hold_workshop(self) -> None:
        """A facilitation workshop reveals candidate synergies among its participants."""
        p, table = self.params, self.companies
        if not self.operator.workshop_due(self.month, int(self.authority.level("facilitation"))):
            return
        has_streams = (table.base_supply.sum(1) + table.base_need.sum(1)) > 0
        chosen = self.operator.invite_participants(table.trust_in_operator, has_streams, self.rng)
        if len(chosen) == 0:
            return
        table.awareness[chosen] = np.minimum(
            table.awareness[chosen] + p["workshop_awareness_gain"], 1.0
        )
        table.trust_in_operator[chosen] = np.minimum(table.trust_in_operator[chosen] + 0.1, 1.0)
        a, b = np.meshgrid(chosen, chosen, indexing="ij")
        a, b = a.ravel(), b.ravel()
        fits = ((table.base_supply[a] > 0) & (table.base_need[b] > 0)).any(1) & (a != b)
        a, b = a[fits], b[fits]
        self.operator.introductions += len(a)
        self.introduced_from = np.concatenate([self.introduced_from, a])
        self.introduced_to = np.concatenate([self.introduced_to, b])
        keys = self._pair_key(a, b)
        for key in np.unique(keys).tolist():
            delta, _ = self._relation(key)
            self.relations[key] = (delta + p["workshop_trust_bonus"], self.month)
            if self.authority.level("facilitation") and p["brokering"]:
                self.brokered_keys.add(key)

    def run_platform(self) -> None:
        """Firms reconsider platform membership; the operator runs the platform it can afford."""
        p, table = self.params, self.companies
        tier = int(self.authority.level("platform"))
        self.operator.operate_platform(tier)
        offered = tier if self.operator.platform_open else 0
        deciding = self.rng.random(len(table)) < 1.0 / p["membership_review_months"]
        if offered == 0:
            table.platform_tier[:] = 0  # no platform runs this month: nobody is a member
            return
        unit_gain = self._unit_gain_for_potential()
        potential = (
            np.maximum(np.minimum(self.supply - self.committed_supply, table.base_supply), 0.0)
            @ unit_gain
            + np.maximum(table.base_need - self.committed_need, 0.0) @ unit_gain
        )
        Company.choose_platform_tier(
            table,
            deciding,
            tier_offered=offered,
            member_share=np.count_nonzero(table.platform_tier) / len(table),
            critical_mass_share=p["platform_critical_mass_share"],
            standalone_share=p["platform_standalone_value_share"],
            expected_gain_eur=p["platform_expected_gain_share"] * potential,
            fee_eur=p["platform_fee_eur_per_month"],
            incentive_eur=self.authority.level("disclosure_incentive"),
            confidentiality_risk_eur=p["confidentiality_risk_eur_per_month"],
            mandatory=bool(p["mandatory_reporting"]) and self._mandatory_in_force(),
        )

    def _mandatory_in_force(self) -> bool:
        """Mandatory reporting follows the disclosure incentive's start and end months."""
        _, start, end = self.authority.schedule["disclosure_incentive"]
        return self.month >= start and (end is None or self.month < end)

    def _unit_gain_for_potential(self) -> np.ndarray:
        return np.maximum(self.month_prices.unit_gain_eur, 0.0)

    def prices(self) -> market.Prices:
        """This month's per-stream economics under the instruments in force.

        Stage 1 stores them in ``month_prices`` for the rest of the month: nothing they depend on
        changes after it.
        """
        p, s, auth = self.params, self.streams, self.authority
        infrastructure = (
            p["infrastructure_cost_reduction"]
            if self.operator.infrastructure_built and auth.level("shared_infrastructure")
            else 0.0
        )
        return market.stream_prices(
            s.gate_fee_eur_per_unit,
            s.virgin_price_eur_per_unit,
            s.substitution_ratio,
            s.pretreatment_eur_per_unit,
            s.transport_eur_per_unit_km,
            s.investment_eur,
            s.is_landfilled,
            s.is_material,
            s.needs_pipe,
            landfill_tax=auth.level("landfill_tax"),
            virgin_tax=auth.level("virgin_tax"),
            subsidy=auth.level("subsidy"),
            grant_share=auth.level("investment_grant"),
            transaction_cost=0.0,
            infrastructure_reduction=infrastructure,
        )

    def search_and_negotiate(self) -> None:
        """Stages 4-5: firms consider the candidates they know; deals both sides accept start."""
        p, table, n_streams = self.params, self.companies, len(self.streams)
        remaining_supply = table.base_supply - self.committed_supply
        remaining_need = table.base_need - self.committed_need
        running = table.production_level > 0
        can_supply = (remaining_supply > _EPS) & running[:, None]
        can_receive = (remaining_need > _EPS) & running[:, None]
        aware = table.awareness >= p["knowledge_threshold"]
        searching = (
            aware
            & (self.rng.random(len(table)) < p["search_probability"])
            & (can_supply.any(1) | can_receive.any(1))
        )
        if not searching.any():
            return
        supplier, receiver, channel = self.known_pairs(searching, aware, can_supply, can_receive)
        if len(supplier) == 0:
            return
        distance = np.hypot(
            table.x_km[supplier] - table.x_km[receiver], table.y_km[supplier] - table.y_km[receiver]
        )
        considered = self.rng.random(len(supplier)) < np.exp(-distance / p["distance_decay_km"])
        supplier, receiver, channel, distance = (
            supplier[considered],
            receiver[considered],
            channel[considered],
            distance[considered],
        )
        pair, stream = market.expand_streams(supplier, receiver, can_supply, can_receive)
        if len(pair) == 0:
            return
        supplier, receiver, channel, distance = (
            supplier[pair],
            receiver[pair],
            channel[pair],
            distance[pair],
        )
        # One candidate per (supplier, receiver, stream): the most helpful channel comes first.
        key = (supplier * len(table) + receiver) * n_streams + stream
        order = np.lexsort((channel, key))
        pick = order[market.first_of_runs(key[order])]
        pick = pick[~market.isin_sorted(key[pick], self._kept(self._sorted_active_keys))]
        supplier, receiver, stream, channel, distance = (
            supplier[pick],
            receiver[pick],
            stream[pick],
            channel[pick],
            distance[pick],
        )
        quantity = np.minimum(remaining_supply[supplier, stream], remaining_need[receiver, stream])
        self.negotiate(supplier, receiver, stream, channel, distance, quantity)

    def known_pairs(
        self,
        searching: np.ndarray,
        aware: np.ndarray,
        can_supply: np.ndarray,
        can_receive: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Directed (supplier, receiver) pairs a searching firm knows of, with the channel.

        Channels, most helpful first: 0 brokered or workshop introduction, 1 platform registry,
        2 social tie. Both firms must know enough about IS to recognise the opportunity, except
        on the platform, whose matching recognises it for them.
        """
        a, b = self.platform_suggestions(can_supply, can_receive)
        if len(self.introduced_from) == 0 and len(a) == 0:
            supplier, receiver, channel = self.tie_from, self.tie_to, self._tie_channel
        else:
            supplier = np.concatenate([self.introduced_from, a, self.tie_from])
            receiver = np.concatenate([self.introduced_to, b, self.tie_to])
            channel = np.concatenate(
                [
                    np.zeros(len(self.introduced_from), dtype=np.int64),
                    np.ones(len(a), dtype=np.int64),
                    self._tie_channel,
                ]
            )
        recognised = (aware[supplier] & aware[receiver]) | (channel == 1)
        keep = (searching[supplier] | searching[receiver]) & recognised & (supplier != receiver)
        return supplier[keep], receiver[keep], channel[keep]

    def platform_suggestions(
        self,
        can_supply: np.ndarray,
        can_receive: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Pairs the platform's matching suggests this month.

        For each stream, every member disclosing a supply of it is shown the nearest members
        disclosing a need for it; each suggestion is made with probability ``platform_recall``
        (matching is imperfect, docs/model.md section 7.6).
        """
        p, table = self.params, self.companies
        empty = np.zeros(0, dtype=np.int64)
        if not self.operator.platform_open:
            return empty, empty
        member = table.platform_tier > 0
        if np.count_nonzero(member) < 2:
            return empty, empty
        offers = can_supply & member[:, None]
        needs = can_receive & member[:, None]
        suppliers, receivers = [], []
        for stream in np.flatnonzero(offers.any(0) & needs.any(0)).tolist():
            offering = np.flatnonzero(offers[:, stream])
            needing = np.flatnonzero(needs[:, stream])
            k = min(int(p["platform_suggestions"]), len(needing))
            nearest = market.nearest(
                table.x_km[offering],
                table.y_km[offering],
                table.x_km[needing],
                table.y_km[needing],
                k,
            )
            suppliers.append(np.repeat(offering, k))
            receivers.append(needing[nearest.reshape(-1)])
        if not suppliers:
            return empty, empty
        supplier, receiver = np.concatenate(suppliers), np.concatenate(receivers)
        recalled = self.rng.random(len(supplier)) < p["platform_recall"]
        return supplier[recalled], receiver[recalled]

    def _kept(self, compute: Callable[[], Any]) -> Any:
        """``compute()``, computed again only once exchanges have started or ended since."""
        kept = self._kept_values.get(compute.__name__)
        if kept is None or kept[0] != self.book.version:
            kept = (self.book.version, compute())
            self._kept_values[compute.__name__] = kept
        return kept[1]

    def _sorted_active_keys(self) -> np.ndarray:
        """Sorted (supplier, receiver, stream) keys of the active exchanges."""
        active, book = self.book.active(), self.book
        n, n_streams = len(self.companies), len(self.streams)
        return np.sort(
            (book.supplier[active] * n + book.receiver[active]) * n_streams + book.stream[active]
        )

    def _flow_groups(self) -> tuple[market.GroupOrder, market.GroupOrder]:
        """How the active exchanges group by supplier and stream, and by receiver and stream."""
        active, book = self.book.active(), self.book
        return market.flow_groups(
            book.supplier[active], book.receiver[active], book.stream[active], len(self.streams)
        )

    def _relation(self, key: int) -> tuple[float, int]:
        """Trust above the generalized level in a pair, decayed since the last contact."""
        delta, since = self.relations.get(key, (0.0, self.month))
        return delta * (1.0 - self.params["trust_decay_per_month"]) ** (self.month - since), since

    def negotiate(
        self,
        supplier: np.ndarray,
        receiver: np.ndarray,
        stream: np.ndarray,
        channel: np.ndarray,
        distance: np.ndarray,
        quantity: np.ndarray,
    ) -> None:
        """Stage 5: price candidates, check both sides accept, start the best deals."""
        p, table, auth = self.params, self.companies, self.authority
        prices = self.month_prices
        contracts = bool(auth.level("contracts"))
        broker = np.zeros(len(supplier), dtype=bool)
        if self.brokered_keys:
            broker[:] = [
                k in self.brokered_keys for k in self._pair_key(supplier, receiver).tolist()
            ]
        transaction = (
            p["transaction_cost_eur"]
            * np.where(broker, 1 - p["broker_cost_reduction"], 1.0)
            * np.where(channel == 1, 1 - p["platform_cost_reduction"], 1.0)
            * (1 - p["contract_cost_reduction"] if contracts else 1.0)
        )
        # The deal is valued at the higher of the two hurdle rates.
        annuity = np.where(
            table.hurdle_rate[supplier] >= table.hurdle_rate[receiver],
            self.firm_annuity[supplier],
            self.firm_annuity[receiver],
        )
        _, npv = market.deal_values(
            quantity,
            distance,
            stream,
            prices,
            overhead_eur_per_month=p["exchange_overhead_eur_per_month"],
            annuity=annuity,
        )
        npv = npv - transaction
        viable = npv > 0
        if not viable.any():
            return
        supplier, receiver, stream, distance, quantity, npv, annuity, transaction = (
            x[viable]
            for x in (supplier, receiver, stream, distance, quantity, npv, annuity, transaction)
        )
        keys = self._pair_key(supplier, receiver)
        delta = np.zeros(len(keys))
        if self.relations:
            delta[:] = [self._relation(k)[0] for k in keys.tolist()]
        tie = market.isin_sorted(keys, self._tie_keys)
        bonus = delta + p["tie_trust_bonus"] * tie
        trust_needed = p["trust_threshold"] - (p["contract_trust_relief"] if contracts else 0.0)
        cost_data = (
            (table.platform_tier[supplier] == 2)
            & (table.platform_tier[receiver] == 2)
            & self.operator.platform_open
            & (auth.level("platform") >= 2)
        )
        gross = quantity * prices.unit_gain_eur[stream] * annuity
        doubt = self.rng.random((2, len(npv)))
        trust_needed = trust_needed - p["cost_data_trust_relief"] * cost_data
        accepts = Company.accept_offers(
            npv / 2,
            gross,
            _unit_interval(table.generalized_trust[supplier] + bonus),
            trust_needed,
            cost_data,
            doubt[0],
            p["cost_uncertainty_share"],
        ) & Company.accept_offers(
            npv / 2,
            gross,
            _unit_interval(table.generalized_trust[receiver] + bonus),
            trust_needed,
            cost_data,
            doubt[1],
            p["cost_uncertainty_share"],
        )
        self.indicators.record_negotiations(len(npv), int((~accepts).sum()))
        if not accepts.any():
            return
        chosen = np.flatnonzero(accepts)
        chosen = chosen[
            market.match_one_round(
                supplier[chosen], receiver[chosen], stream[chosen], npv[chosen], len(self.streams)
            )
        ]
        self.start_exchanges(
            supplier[chosen],
            receiver[chosen],
            stream[chosen],
            distance[chosen],
            quantity[chosen],
            bonus[chosen],
            keys[chosen],
            transaction[chosen],
            prices,
            contracts,
        )

    def start_exchanges(
        self,
        supplier: np.ndarray,
        receiver: np.ndarray,
        stream: np.ndarray,
        distance: np.ndarray,
        quantity: np.ndarray,
        trust_delta: np.ndarray,
        keys: np.ndarray,
        transaction_eur: np.ndarray,
        prices: market.Prices,
        contracts: bool,
    ) -> None:
        """Record new exchanges, commit capacity, and book one-off costs and grants."""
        p, auth = self.params, self.authority
        if len(supplier) == 0:
            return
        contract_until = self.month + p["contract_months"] if contracts else -1
        self.book.add(
            supplier=supplier,
            receiver=receiver,
            stream=stream,
            distance_km=distance,
            quantity_per_month=quantity,
            start_step=np.full(len(supplier), self.month),
            trust_delta=trust_delta,
            bad_months=np.zeros(len(supplier), dtype=np.int64),
            idle_months=np.zeros(len(supplier), dtype=np.int64),
            contract_until=np.full(len(supplier), contract_until),
            value_eur_per_month=np.zeros(len(supplier)),
            delivered_total=np.zeros(len(supplier)),
        )
        np.add.at(self.committed_supply, (supplier, stream), quantity)
        np.add.at(self.committed_need, (receiver, stream), quantity)
        investment = self.streams.investment_eur[stream]
        infra = (
            p["infrastructure_cost_reduction"]
            if self.operator.infrastructure_built and auth.level("shared_infrastructure")
            else 0.0
        )
        pipe = np.where(self.streams.needs_pipe[stream], 1 - infra, 1.0)
        grant = investment * pipe * auth.level("investment_grant")
        if grant.sum():
            auth.pay(grant.sum(), "investment grants")
        one_off_each = (prices.one_off_eur[stream] + transaction_eur) / 2
        np.add.at(self.companies.net_benefit_eur, supplier, -one_off_each)
        np.add.at(self.companies.net_benefit_eur, receiver, -one_off_each)
        self.indicators.record_new(len(supplier), 2 * one_off_each.sum())
        for key in keys.tolist():
            self.brokered_keys.discard(key)

    def flow_and_account(self) -> None:
        """Stage 6: quantities flow, the rest is landfilled or bought virgin; book everything."""
        active = self.book.active()
        book = self.book
        flow = market.allocate_flows(
            book.supplier[active],
            book.receiver[active],
            book.stream[active],
            book.quantity_per_month[active],
            self.supply,
            self.need,
            self._kept(self._flow_groups),
        )
        self.flow = flow
        self.flow_rows = active
        self.indicators.record_account(
            accounting.account_flows(self, active, flow, self.month_prices)
        )

    def reevaluate_exchanges(self) -> None:
        """Stage 7: trust follows delivery; exchanges end when unprofitable, idle or distrusted."""
        p, book = self.params, self.book
        active = self.book.active()
        if len(active) == 0:
            return
        columns = book.columns
        flow = self.flow
        planned = book.quantity_per_month[active]
        reliable = flow >= RELIABLE_DELIVERY_SHARE * planned
        delta = columns["trust_delta"][active]
        delta = np.where(
            reliable,
            delta + p["trust_gain_per_month"],
            delta - p["trust_loss_on_failure"] * (flow < FAILED_DELIVERY_SHARE * planned),
        )
        columns["trust_delta"][active] = delta
        value = columns["value_eur_per_month"][active]
        columns["bad_months"][active] = np.where(value < 0, columns["bad_months"][active] + 1, 0)
        columns["idle_months"][active] = np.where(
            flow <= _EPS, columns["idle_months"][active] + 1, 0
        )
        under_contract = columns["contract_until"][active] > self.month
        # A contract that still pays both sides is renewed while contracts are offered.
        expiring = (columns["contract_until"][active] == self.month) & (value >= 0)
        if self.authority.level("contracts") and expiring.any():
            columns["contract_until"][active[expiring]] = self.month + p["contract_months"]
            under_contract |= expiring
        table = self.companies
        trust_s = table.generalized_trust[book.supplier[active]] + delta
        trust_r = table.generalized_trust[book.receiver[active]] + delta
        needed = np.where(
            under_contract, p["trust_threshold"] - p["contract_trust_relief"], p["trust_threshold"]
        )
        patience = p["exit_patience_months"]
        # A binding contract treats a temporary production stop as force majeure.
        idle = (columns["idle_months"][active] >= patience) & ~under_contract
        unprofitable = (columns["bad_months"][active] >= patience) & ~under_contract & ~idle
        distrusted = (
            (np.minimum(trust_s, trust_r) < needed - TRUST_EXIT_MARGIN)
            & ~under_contract
            & ~idle
            & ~unprofitable
        )
        if (idle | unprofitable | distrusted).any():
            self.end_exchanges(active[idle], "supply_failure")
            self.end_exchanges(active[unprofitable], "unprofitable")
            self.end_exchanges(active[distrusted], "lost_trust")

    def end_exchanges(self, rows: np.ndarray, reason: str) -> None:
        """End exchanges, release their capacity and remember the pair's trust."""
        if len(rows) == 0:
            return
        book = self.book
        supplier, receiver, stream = book.supplier[rows], book.receiver[rows], book.stream[rows]
        np.add.at(self.committed_supply, (supplier, stream), -book.quantity_per_month[rows])
        np.add.at(self.committed_need, (receiver, stream), -book.quantity_per_month[rows])
        loss = self.params["trust_loss_on_failure"] if reason != "unprofitable" else 0.0
        for key, delta in zip(
            self._pair_key(supplier, receiver).tolist(),
            book.trust_delta[rows].tolist(),
            strict=True,
        ):
            self.relations[key] = (delta - loss, self.month)
        book.end(rows, self.month, reason)
        self.indicators.record_ended(len(rows))


def _unit_interval(values: np.ndarray) -> np.ndarray:
    """Values clipped to [0, 1] (as ``np.clip``, without its call overhead)."""
    return np.minimum(np.maximum(values, 0.0), 1.0)


def _beta_around(
    mean: float, count: int, rng: np.random.Generator, concentration: float = 8.0
) -> np.ndarray:
    """Draw ``count`` values in [0, 1] with the given mean (Beta distribution)."""
    mean = min(max(float(mean), 1e-3), 1 - 1e-3)
    return rng.beta(mean * concentration, (1 - mean) * concentration, count)
