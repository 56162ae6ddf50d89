"""The survey page: no login, in English and Chinese, one answer, markup shown as text."""

from sqlalchemy import select

from motormall.surveys.models import Case, Survey
from tests.surveys.test_surveys_api import _serviced
from tests.web.test_pages import csrf_of


def test_answer_on_the_survey_page_without_logging_in(client, db):
    _, _, item = _serviced(client, db)
    client.headers.pop("Authorization", None)
    url = f"/surveys/{item['token']}"
    page = client.get(url)
    assert page.status_code == 200 and 'name="csat"' in page.text and 'name="nps"' in page.text
    zh = client.get(url, headers={"Accept-Language": "zh-CN"}).text
    assert "您的意见" in zh and "是否有人" in zh
    form = {"csat": "1", "nps": "2", "comment": "<b>rude</b>", "incentive_offered": "yes"}
    assert client.post(url, data={**form, "csrf_token": "forged"}).status_code == 403
    r = client.post(url, data={**form, "csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    assert "Thank you" in client.get(r.headers["location"]).text
    with db.reading() as s:
        survey = s.scalar(select(Survey))
        assert (survey.csat, survey.nps, survey.incentive_offered) == (1, 2, True)
        assert s.scalar(select(Case.id)) is not None
    again = client.post(url, data={**form, "csrf_token": csrf_of(page.text)})
    assert again.status_code == 409
    assert client.get("/surveys/nope").status_code == 404


def test_a_missing_rating_is_asked_for_again(client, db):
    _, _, item = _serviced(client, db)
    url = f"/surveys/{item['token']}"
    page = client.get(url)
    r = client.post(url, data={"csat": "9", "nps": "", "csrf_token": csrf_of(page.text)})
    assert r.status_code == 422 and "Choose a rating on both scales." in r.text
