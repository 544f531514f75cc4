import time, pytest
from playwright.sync_api import expect
from tests.browser.helpers import sign_in, navigation, SIGN_IN_HEADING
pytestmark = pytest.mark.browser
def test_prof(context, live_server):
    first, second = context.new_page(), context.new_page()
    t=time.perf_counter()
    def lap(msg):
        nonlocal t
        n=time.perf_counter(); print(f"{msg}: {n-t:.3f}"); t=n
    sign_in(first, "admin@example.org"); lap("sign in")
    second.goto("/account"); lap("second goto")
    first.bring_to_front(); lap("front")
    nav = navigation(first); lap("nav")
    nav.get_by_role("button", name="Sign out").click(); lap("click")
    expect(first.get_by_role("heading", level=1)).to_have_text(SIGN_IN_HEADING); lap("h1")
    second.bring_to_front(); lap("front2")
    second.reload(); lap("reload")
